#pragma once
// cos x, elementwise (x in radians).
//   value  y = cos(x)
//   VJP    x̄ += −ȳ sin(x)
//   JVP    ẏ = −sin(x) ẋ

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

namespace math {
template <class T>
T sin(const T& x);  // ops/sin.hpp, included at the end
}  // namespace math

struct cos_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::cos;
    return cos(v);
  }
  static auto value(const auto& x) { return math::per_register<cos_op>(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return -(ybar * math::sin(x)); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return -(math::sin(x) * xdot); }
};

template <expression X>
constexpr auto cos(X x) {
  return detail::make_node<cos_op>(x);
}

namespace math {
// cos of any number type (on dual numbers through cos_op's JVP rule).
template <class T>
T cos(const T& x) {
  return apply<cos_op>(x);
}
}  // namespace math

}  // namespace tapeless

// Each of sin and cos is the other's derivative.
#include <tapeless/ops/sin.hpp>
