#pragma once
// leaky_relu(x, α) = x for x ≥ 0, α x for x < 0, elementwise (0 ≤ α < 1).
//   value  y = x for x ≥ 0, else α x
//   VJP    x̄ += ȳ f'(x)
//   JVP    ẏ = f'(x) ẋ
//   f'(x) = 1 for x > 0, α for x < 0, and k at the kink x = 0.
// α is a constant: leaky_relu(x, 0.2_c); it defaults to 0.01 (as PyTorch).
// Kink: k = α by default (the left derivative, as ReLU's 0 and PyTorch's
// leaky_relu); any k in [α, 1] can be chosen: leaky_relu(x, 0.2_c, kink<1>).

#include <cstdint>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/plain_number.hpp>

namespace tapeless {

template <class Alpha, class Kink>
struct leaky_relu_op : unary_elementwise {
  using alpha = Alpha;
  using k = typename Kink::value;

  static auto value(const auto& x) { return math::select(x < 0, detail::ratio_as<alpha>(x) * x, x); }
  static auto derivative_times(const auto& x, const auto& g) {
    const auto left = detail::ratio_as<alpha>(g) * g;
    if constexpr (k::num * alpha::den == alpha::num * k::den)
      return math::select(x > 0, g, left);
    else if constexpr (k::num == k::den)
      return math::select(x >= 0, g, left);
    else
      return math::select(x > 0, g, math::select(x == 0, detail::ratio_as<k>(g) * g, left));
  }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return derivative_times(x, ybar); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return derivative_times(x, xdot); }
};

template <expression X, std::intmax_t N = 1, std::intmax_t D = 100, class Kink = kink_t<N, D>>
constexpr auto leaky_relu(X x, expr<constant_t<N, D>> = {}, Kink = {}) {
  using alpha = rational<N, D>;
  using k = typename Kink::value;
  static_assert(alpha::num >= 0 && alpha::num < alpha::den, "tapeless: leaky_relu(x, alpha) needs 0 <= alpha < 1");
  static_assert(k::num * alpha::den >= alpha::num * k::den && k::num <= k::den,
                "tapeless: leaky_relu(x, alpha, kink<k>) needs a subgradient k in [alpha, 1]");
  return detail::make_node<leaky_relu_op<alpha, kink_t<k::num, k::den>>>(x);
}

template <class Number>
struct leaky_relu_slope_is_a_plain_number {
  static constexpr bool value = false;
};
// leaky_relu(x, 0.01): the slope is part of the graph's type.
template <expression X, detail::plain_number N>
constexpr auto leaky_relu(X, N) {
  static_assert(leaky_relu_slope_is_a_plain_number<N>::value,
                "tapeless: leaky_relu(x, slope) needs the slope as a compile-time constant: write 0.01_c, not 0.01");
  return detail::invalid_expression{};
}

}  // namespace tapeless
