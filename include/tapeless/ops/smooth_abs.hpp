#pragma once
// smooth_abs(x, ε) = √(x² + ε), elementwise: differentiable everywhere,
// → |x| as ε → 0 (the seed's smooth alternative to a subgradient).
//   value  y = √(x² + ε)
//   VJP    x̄ += ȳ x / y
//   JVP    ẏ = (x / y) ẋ
// ε is a positive constant: smooth_abs(x, 1e-6_c).

#include <cstdint>

#include <tapeless/ops/family.hpp>
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

}  // namespace tapeless
