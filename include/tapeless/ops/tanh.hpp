#pragma once
// tanh x, elementwise.
//   value  y = tanh(x)
//   VJP    x̄ += ȳ (1 - y²)
//   JVP    ẏ = (1 - y²) ẋ
// The derivative is computed from y, as PyTorch does: for |x| > 19 (double)
// y rounds to ±1 and the derivative to 0, an absolute error below 1e-16.

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct tanh_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::tanh;
    return tanh(v);
  }
  static auto value(const auto& x) { return math::per_register<tanh_op>(x); }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * (1 - y * y); }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return (1 - y * y) * xdot; }
};

template <expression X>
constexpr auto tanh(X x) {
  return detail::make_node<tanh_op>(x);
}

namespace math {
// tanh of any number type (on dual numbers through tanh_op's JVP rule).
template <class T>
T tanh(const T& x) {
  return apply<tanh_op>(x);
}
}  // namespace math

}  // namespace tapeless
