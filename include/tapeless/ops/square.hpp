#pragma once
// x², elementwise.
//   value  y = x x
//   VJP    x̄ += ȳ 2x
//   JVP    ẏ = 2x ẋ

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct square_op : unary_elementwise {
  static auto value(const auto& x) { return x * x; }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar * (x + x); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return (x + x) * xdot; }
};

template <expression X>
constexpr auto square(X x) {
  return detail::make_node<square_op>(x);
}

}  // namespace tapeless
