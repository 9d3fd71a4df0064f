#pragma once
// max(a, b), elementwise; a scalar operand is broadcast.
//   value  y = a if a ≥ b, else b         (NaN in either operand gives NaN)
//   VJP    ā += ȳ [a > b],  b̄ += ȳ [b > a]
//   JVP    ẏ = ȧ [a > b] + ḃ [b > a]
// Ties (a = b) split the gradient evenly: ½ to each operand, as PyTorch's
// maximum does. ½ is a valid subgradient (the subdifferential is every
// convex combination), is symmetric in a and b, and equals what a central
// difference gives at the tie.

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct max_op : binary_elementwise {
  static auto value(const auto& a, const auto& b) { return math::select(a < b || math::isnan(b), b, a); }

  // g times ∂max/∂(first) for first vs second.
  static auto route(const auto& first, const auto& second, const auto& g) {
    const auto zero = detail::zero_like(g);
    return math::select(first > second, g, math::select(first == second, g / 2, zero));
  }
  static auto vjp(arg_t<0>, const auto& a, const auto& b, const auto&, const auto& ybar) { return route(a, b, ybar); }
  static auto vjp(arg_t<1>, const auto& a, const auto& b, const auto&, const auto& ybar) { return route(b, a, ybar); }
  static auto jvp(arg_t<0>, const auto& a, const auto& b, const auto&, const auto& adot) { return route(a, b, adot); }
  static auto jvp(arg_t<1>, const auto& a, const auto& b, const auto&, const auto& bdot) { return route(b, a, bdot); }
};

template <expression A, expression B>
constexpr auto max(A a, B b) {
  if constexpr (!detail::broadcastable<A, B>)
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: max(a, b) needs operands of the same shape, or one scalar operand");
  return detail::make_node<max_op, detail::broadcastable<A, B>>(a, b);
}

}  // namespace tapeless
