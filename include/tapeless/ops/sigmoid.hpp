#pragma once
// σ(x) = 1 / (1 + e⁻ˣ), elementwise.
//   value  y = 1 / (1 + e)         for x ≥ 0,  e / (1 + e) for x < 0,  e = exp(-|x|)
//   VJP    x̄ += ȳ y (1 - y)
//   JVP    ẏ = y (1 - y) ẋ
// exp only ever sees -|x| ≤ 0, so no x overflows: σ(±1000) is exactly 1 and
// a correctly tiny (or zero) value. The derivative is computed from y, as
// PyTorch does; its absolute error is below one ulp of 1.

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/abs.hpp>
#include <tapeless/ops/exp.hpp>

namespace tapeless {

struct sigmoid_op : unary_elementwise {
  static auto value(const auto& x) {
    const auto e = math::exp(-math::abs(x));
    const auto r = 1 / (1 + e);
    return math::select(x >= 0, r, e * r);
  }
  static auto vjp(const auto&, const auto& y, const auto& ybar) { return ybar * (y * (1 - y)); }
  static auto jvp(const auto&, const auto& y, const auto& xdot) { return (y * (1 - y)) * xdot; }
};

template <expression X>
constexpr auto sigmoid(X x) {
  return detail::make_node<sigmoid_op>(x);
}

}  // namespace tapeless
