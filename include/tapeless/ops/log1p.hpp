#pragma once
// log(1 + x), elementwise, accurate for small x.
//   value  y = log1p(x)
//   VJP    x̄ += ȳ / (1 + x)
//   JVP    ẏ = ẋ / (1 + x)
// Defined for x > −1; x = −1 gives −inf and an infinite derivative, x < −1
// NaN (IEEE arithmetic, as std::log1p).

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct log1p_op : unary_elementwise {
  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::log1p;
    return log1p(v);
  }
  static auto value(const auto& x) { return math::per_register<log1p_op>(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar / (1 + x); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return xdot / (1 + x); }
};

template <expression X>
constexpr auto log1p(X x) {
  return detail::make_node<log1p_op>(x);
}

namespace math {
// log1p of any number type (on dual numbers through log1p_op's JVP rule).
template <class T>
T log1p(const T& x) {
  return apply<log1p_op>(x);
}
}  // namespace math

}  // namespace tapeless
