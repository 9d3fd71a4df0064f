#pragma once
// relu(x) = max(x, 0), elementwise.
//   value  y = x for x ≥ 0, else 0       (NaN stays NaN)
//   VJP    x̄ += ȳ relu'(x)
//   JVP    ẏ = relu'(x) ẋ
//   relu'(x) = 1 for x > 0, 0 for x < 0, and k at the kink x = 0.
// Kink: k = 0 by default, as PyTorch, dlib and tiny-dnn do; any subgradient
// k in [0, 1] can be chosen per op: relu(x, kink<1>).

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <class Kink = kink_t<0>>
struct relu_op : unary_elementwise {
  using k = typename Kink::value;

  static auto value(const auto& x) {
    const auto zero = detail::zero_like(x);
    return math::select(x < zero, zero, x);
  }
  static auto derivative_times(const auto& x, const auto& g) {
    const auto zero = detail::zero_like(g);
    if constexpr (k::num == 0)
      return math::select(x > 0, g, zero);
    else if constexpr (k::num == k::den)
      return math::select(x >= 0, g, zero);
    else
      return math::select(x > 0, g, math::select(x == 0, detail::ratio_as<k>(g) * g, zero));
  }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return derivative_times(x, ybar); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return derivative_times(x, xdot); }
};

template <expression X, class Kink = kink_t<0>>
constexpr auto relu(X x, Kink = {}) {
  using k = typename Kink::value;
  static_assert(k::num >= 0 && k::num <= k::den, "tapeless: relu(x, kink<k>) needs a subgradient k in [0, 1]");
  return detail::make_node<relu_op<kink_t<k::num, k::den>>>(x);
}

}  // namespace tapeless
