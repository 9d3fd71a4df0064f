#pragma once
// Gradient clipping by global norm, over the whole flat buffer:
//
//   n = sqrt(sum_i G_i^2)
//   G <- G max_norm / n                 when n > max_norm
//
// and the result is n, the norm before clipping. The clipped buffer has
// norm max_norm up to rounding. Unlike PyTorch's clip_grad_norm_, the
// factor has no +1e-6 in the denominator.
//
// Non-finite gradients: if any element is NaN the result is NaN; otherwise
// if any is infinite the result is +inf. G is left unchanged in both cases
// (PyTorch would multiply it by NaN), so the caller can skip the step:
//
//   if (std::isfinite(clip_by_global_norm(G, 1.0))) opt.step(P, G);
//
// The sum of squares is taken in the element type; when it overflows or
// underflows (float gradients around 1e20 or 1e-20), the norm is recomputed
// with every element divided by the largest magnitude, so it is still
// right. max_norm must be >= 0 (infinity never clips); a negative or NaN
// max_norm throws std::invalid_argument.

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/optim/check.hpp>
#include <tapeless/optim/elementwise.hpp>

namespace tapeless {

namespace detail {

// sqrt(sum x_i^2) with x scaled by its largest magnitude; NaN if any x_i is
// NaN, +inf if any is infinite.
template <class E>
E scaled_norm(const E* x, std::size_t n) noexcept {
  E largest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const E a = std::fabs(x[i]);
    if (std::isnan(a)) return std::numeric_limits<E>::quiet_NaN();
    if (a > largest) largest = a;
  }
  if (largest == 0 || std::isinf(largest)) return largest;
  E sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const E r = x[i] / largest;
    sum = madd(r, r, sum);
  }
  return largest * std::sqrt(sum);
}

}  // namespace detail

template <class Buffer>
auto clip_by_global_norm(Buffer& G, double max_norm) {
  static_assert(leaf_storage<Buffer> && !std::is_const_v<Buffer>,
                "tapeless::clip_by_global_norm(G, max_norm) requires G to be a non-const gradient buffer");
  if constexpr (leaf_storage<Buffer> && !std::is_const_v<Buffer>) {
    using E = typename Buffer::element_type;
    detail::require_option(max_norm >= 0, "clip_by_global_norm", "max_norm", max_norm, "must be >= 0");
    const E sum = detail::sum_of_squares(G.data(), Buffer::size());
    const E norm = (sum >= std::numeric_limits<E>::min() && sum <= std::numeric_limits<E>::max())
                       ? std::sqrt(sum)
                       : detail::scaled_norm(G.data(), Buffer::size());
    // Compared and divided in double: max_norm may not fit in E.
    if (std::isfinite(norm) && double(norm) > max_norm) {
      const E scale = E(max_norm / double(norm));
      detail::elementwise<E>(
          Buffer::size(),
          [=](auto& g) {
            using V = std::remove_cvref_t<decltype(g)>;
            g = g * V(scale);
          },
          G.data());
    }
    return norm;
  }
}

}  // namespace tapeless
