#pragma once
// |x|, elementwise.
//   value  y = |x|
//   VJP    x̄ += ȳ s(x)
//   JVP    ẏ = s(x) ẋ
//   s(x) = 1 for x > 0, -1 for x < 0, and k at the kink x = 0.
// Kink: k = 0 by default (the subdifferential at 0 is [-1, 1]; 0 is its
// minimum-norm element and what a central difference gives); any k in
// [-1, 1] can be chosen: abs(x, kink<1>), abs(x, kink<-1, 2>).

#include <cmath>

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <class Kink = kink_t<0>>
struct abs_op : unary_elementwise {
  using k = typename Kink::value;

  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::abs;
    return abs(v);
  }
  static auto value(const auto& x) { return math::per_register<abs_op>(x); }
  static auto derivative_times(const auto& x, const auto& g) {
    const auto at_kink = [&] {
      if constexpr (k::num == 0)
        return detail::zero_like(g);
      else
        return detail::ratio_as<k>(g) * g;
    }();
    return math::select(x > 0, g, math::select(x < 0, -g, at_kink));
  }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return derivative_times(x, ybar); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return derivative_times(x, xdot); }
};

template <expression X, class Kink = kink_t<0>>
constexpr auto abs(X x, Kink = {}) {
  using k = typename Kink::value;
  static_assert(k::num >= -k::den && k::num <= k::den, "tapeless: abs(x, kink<k>) needs a subgradient k in [-1, 1]");
  return detail::make_node<abs_op<kink_t<k::num, k::den>>>(x);
}

namespace math {
// |x| of any number type (on dual numbers through abs_op's JVP rule, with
// its default kink: tangent 0 at x = 0).
template <class T>
T abs(const T& x) {
  return apply<abs_op<kink_t<0>>>(x);
}
}  // namespace math

}  // namespace tapeless
