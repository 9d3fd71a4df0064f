#pragma once
// xᵖ for a compile-time exponent p, elementwise: pow(x, 3_c), pow(x, 0.5_c),
// pow(x, -1_c).
//   value  y = xᵖ
//   VJP    x̄ += ȳ p xᵖ⁻¹
//   JVP    ẏ = p xᵖ⁻¹ ẋ
// An integer p takes any x. Otherwise x must be ≥ 0: x < 0 gives NaN (as
// std::pow). At x = 0 the derivative is 0 for p > 1, 1 for p = 1 and
// infinite for p < 1 (IEEE arithmetic). p = 0 is rejected (write 1_c);
// pow(x, 1_c) is x itself. The SIMD path uses xsimd's pow, which agrees
// with std::pow to a few ulps.

#include <cmath>
#include <cstdint>

#include <tapeless/core/rational.hpp>
#include <tapeless/ops/family.hpp>
#include <tapeless/ops/plain_number.hpp>

namespace tapeless {

template <class P>
struct pow_op;

namespace math {
// xᴾ of any number type, P a rational (on dual numbers through pow_op's
// JVP rule). x⁰ is 1 and x¹ is x, exactly.
template <class P, class T>
T pow(const T& x) {
  if constexpr (P::num == 0)
    return T(1);
  else if constexpr (P::num == 1 && P::den == 1)
    return x;
  else
    return apply<pow_op<P>>(x);
}
}  // namespace math

template <class P>
struct pow_op : unary_elementwise {
  using minus_one = rational<P::num - P::den, P::den>;

  // The function of a float, a double or one SIMD register (xsimd's, found
  // by argument-dependent lookup).
  static auto primal(const auto& v) {
    using std::pow;
    return pow(v, detail::ratio_as<P>(v));
  }
  static auto value(const auto& x) { return math::per_register<pow_op>(x); }
  static auto derivative(const auto& x) { return detail::ratio_as<P>(x) * math::pow<minus_one>(x); }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar * derivative(x); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return derivative(x) * xdot; }
};

template <expression X, std::intmax_t N, std::intmax_t D>
constexpr auto pow(X x, expr<constant_t<N, D>>) {
  static_assert(N != 0, "tapeless: pow(x, 0_c) is the constant 1: write 1_c");
  if constexpr (N == D)
    return x;
  else
    return detail::make_node<pow_op<rational<N, D>>>(x);
}

template <class Number>
struct pow_exponent_is_a_plain_number {
  static constexpr bool value = false;
};
// pow(x, 3): the exponent is part of the graph's type.
template <expression X, detail::plain_number N>
constexpr auto pow(X, N) {
  static_assert(pow_exponent_is_a_plain_number<N>::value,
                "tapeless: pow(x, p) needs the exponent as a compile-time constant: write 3_c or 1.5_c, not 3 or 1.5");
  return detail::invalid_expression{};
}

}  // namespace tapeless
