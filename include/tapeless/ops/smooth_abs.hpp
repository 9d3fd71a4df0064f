#pragma once
// smooth_abs(x, ε) = √(x² + ε), elementwise: differentiable everywhere,
// → |x| as ε → 0 (the seed's smooth alternative to a subgradient).
//   value  y = √(x² + ε)
//   VJP    x̄ += ȳ x / y
//   JVP    ẏ = (x / y) ẋ
// ε is a positive constant: smooth_abs(x, 1e-6_c).

#include <cstdint>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/plain_number.hpp>
#include <tapeless/ops/sqrt.hpp>

namespace tapeless {

template <class Eps>
struct smooth_abs_op : unary_elementwise {
  static auto value(const auto& x) { return math::sqrt(x * x + detail::ratio_as<Eps>(x)); }
  static auto vjp(const auto& x, const auto& y, const auto& ybar) { return ybar * (x / y); }
  static auto jvp(const auto& x, const auto& y, const auto& xdot) { return (x / y) * xdot; }
};

template <expression X, std::intmax_t N, std::intmax_t D>
constexpr auto smooth_abs(X x, expr<constant_t<N, D>>) {
  static_assert(N > 0, "tapeless: smooth_abs(x, eps) needs eps > 0");
  return detail::make_node<smooth_abs_op<rational<N, D>>>(x);
}

template <class Number>
struct smooth_abs_eps_is_a_plain_number {
  static constexpr bool value = false;
};
// smooth_abs(x, 1e-3): ε is part of the graph's type.
template <expression X, detail::plain_number N>
constexpr auto smooth_abs(X, N) {
  static_assert(smooth_abs_eps_is_a_plain_number<N>::value,
                "tapeless: smooth_abs(x, eps) needs eps as a compile-time constant: write 1e-3_c, not 1e-3");
  return detail::invalid_expression{};
}

}  // namespace tapeless
