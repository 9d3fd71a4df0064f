#pragma once
// eˣ − 1, elementwise, accurate for small x (where exp(x) − 1 cancels).
//   value  y = expm1(x)
//   VJP    x̄ += ȳ (y + 1)
//   JVP    ẏ = (y + 1) ẋ

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct expm1_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::expm1;
    return expm1(v);
  }
  static auto value(const auto& x) { return math::per_register<expm1_op>(x); }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * (y + 1); }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return (y + 1) * xdot; }
};

template <expression X>
constexpr auto expm1(X x) {
  return detail::make_node<expm1_op>(x);
}

namespace math {
// expm1 of any number type (on dual numbers through expm1_op's JVP rule).
template <class T>
T expm1(const T& x) {
  return apply<expm1_op>(x);
}
}  // namespace math

}  // namespace tapeless
