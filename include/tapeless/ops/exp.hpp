#pragma once
// eˣ, elementwise.
//   value  y = exp(x)
//   VJP    x̄ += ȳ y
//   JVP    ẏ = y ẋ

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct exp_op : unary_elementwise {
  static auto value(const auto& x) { return math::exp(x); }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * y; }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return y * xdot; }
};

template <expression X>
constexpr auto exp(X x) {
  return detail::make_node<exp_op>(x);
}

}  // namespace tapeless
