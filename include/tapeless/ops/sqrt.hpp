#pragma once
// √x, elementwise.
//   value  y = √x
//   VJP    x̄ += ȳ / (2y)
//   JVP    ẏ = ẋ / (2y)
// At x = 0 the derivative is +inf, as in the math (and PyTorch, JAX): a zero
// upstream gradient then gives NaN. Where an argument can reach 0, use
// smooth_abs or add a positive constant under the root.

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct sqrt_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::sqrt;
    return sqrt(v);
  }
  static auto value(const auto& x) { return math::per_register<sqrt_op>(x); }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar / (y + y); }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return xdot / (y + y); }
};

template <expression X>
constexpr auto sqrt(X x) {
  return detail::make_node<sqrt_op>(x);
}

namespace math {
// sqrt of any number type (on dual numbers through sqrt_op's JVP rule).
template <class T>
T sqrt(const T& x) {
  return apply<sqrt_op>(x);
}
}  // namespace math

}  // namespace tapeless
