#pragma once
// ln x, elementwise.
//   value  y = log(x)
//   VJP    x̄ += ȳ / x
//   JVP    ẏ = ẋ / x
// log(0) = -inf with derivative +inf; log of a negative number is NaN.

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct log_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::log;
    return log(v);
  }
  static auto value(const auto& x) { return math::per_register<log_op>(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar / x; }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return xdot / x; }
};

template <expression X>
constexpr auto log(X x) {
  return detail::make_node<log_op>(x);
}

namespace math {
// log of any number type (on dual numbers through log_op's JVP rule).
template <class T>
T log(const T& x) {
  return apply<log_op>(x);
}
}  // namespace math

}  // namespace tapeless
