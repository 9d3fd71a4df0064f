#pragma once
// eˣ, elementwise.
//   value  y = exp(x)
//   VJP    x̄ += ȳ y
//   JVP    ẏ = y ẋ

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct exp_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::exp;
    return exp(v);
  }
  static auto value(const auto& x) { return math::per_register<exp_op>(x); }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * y; }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return y * xdot; }
};

template <expression X>
constexpr auto exp(X x) {
  return detail::make_node<exp_op>(x);
}

namespace math {
// exp of any number type (on dual numbers through exp_op's JVP rule).
template <class T>
T exp(const T& x) {
  return apply<exp_op>(x);
}
}  // namespace math

}  // namespace tapeless
