#pragma once
// sin x, elementwise (x in radians).
//   value  y = sin(x)
//   VJP    x̄ += ȳ cos(x)
//   JVP    ẏ = cos(x) ẋ

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

namespace math {
template <class T>
T cos(const T& x);  // ops/cos.hpp, included at the end
}  // namespace math

struct sin_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::sin;
    return sin(v);
  }
  static auto value(const auto& x) { return math::per_register<sin_op>(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar * math::cos(x); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return math::cos(x) * xdot; }
};

template <expression X>
constexpr auto sin(X x) {
  return detail::make_node<sin_op>(x);
}

namespace math {
// sin of any number type (on dual numbers through sin_op's JVP rule).
template <class T>
T sin(const T& x) {
  return apply<sin_op>(x);
}
}  // namespace math

}  // namespace tapeless

// Each of sin and cos is the other's derivative.
#include <tapeless/ops/cos.hpp>
