#pragma once
// ln x, elementwise.
//   value  y = log(x)
//   VJP    x̄ += ȳ / x
//   JVP    ẏ = ẋ / x
// log(0) = -inf with derivative +inf; log of a negative number is NaN.

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct log_op : unary_elementwise {
  static auto value(const auto& x) { return math::log(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar / x; }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return xdot / x; }
};

template <expression X>
constexpr auto log(X x) {
  return detail::make_node<log_op>(x);
}

}  // namespace tapeless
