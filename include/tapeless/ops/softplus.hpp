#pragma once
// softplus(x) = log(1 + eˣ), elementwise.
//   value  y = max(x, 0) + log1p(exp(-|x|))
//   VJP    x̄ += ȳ σ(x),   σ(x) = 1 - e^(-y) = -expm1(-y)
//   JVP    ẏ = σ(x) ẋ
// The value never exponentiates a positive number, so softplus(1000) = 1000
// and softplus(-1000) is a correctly tiny number, not inf or 0 by overflow.
// σ(x) is recovered from y with expm1, accurate for every x.

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/abs.hpp>
#include <tapeless/ops/exp.hpp>
#include <tapeless/ops/expm1.hpp>
#include <tapeless/ops/log1p.hpp>

namespace tapeless {

struct softplus_op : unary_elementwise {
  static auto value(const auto& x) {
    const auto zero = detail::zero_like(x);
    return math::select(x > zero, x, zero) + math::log1p(math::exp(-math::abs(x)));
  }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * -math::expm1(-y); }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return -math::expm1(-y) * xdot; }
};

template <expression X>
constexpr auto softplus(X x) {
  return detail::make_node<softplus_op>(x);
}

}  // namespace tapeless
