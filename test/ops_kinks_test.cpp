// The documented subgradients at kinks, in the VJP and the JVP, and the
// default and user-chosen conventions (docs/ops.md, each op's header).

#include <array>
#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<5>>;
// Two entries exactly at the kink, the others on either side.
constexpr std::array<double, 5> at_kink{-1.5, 0.0, 2.0, 0.0, -0.25};
constexpr std::array<double, 5> ones{1, 1, 1, 1, 1};

// ∂(sum of f)/∂x: one VJP with cotangent 1.
template <class F>
std::array<double, 5> vjp_at(F f, const std::array<double, 5>& point) {
  const auto g = vjp(f, ones, bind<"x">(point)).input_grad.template get<"x">();
  return {g[0], g[1], g[2], g[3], g[4]};
}
// The JVP along (1, 1, 1, 1, 1).
template <class F>
std::array<double, 5> jvp_at(F f, const std::array<double, 5>& point) {
  const auto t = jvp(f, bind<"x">(point), tangent<"x">(ones)).tangent;
  return {t[0], t[1], t[2], t[3], t[4]};
}

template <class F>
void check_derivative(F f, const std::array<double, 5>& expected) {
  const auto g = vjp_at(f, at_kink);
  const auto t = jvp_at(f, at_kink);
  for (std::size_t k = 0; k < 5; ++k) {
    CAPTURE(k);
    CHECK(g[k] == expected[k]);
    CHECK(t[k] == expected[k]);
  }
}
}  // namespace

TEST_CASE("relu: relu'(0) = 0 by default, any k in [0, 1] on request") {
  check_derivative(relu(x), {0, 0, 1, 0, 0});
  check_derivative(relu(x, kink<1>), {0, 1, 1, 1, 0});
  check_derivative(relu(x, kink<1, 2>), {0, 0.5, 1, 0.5, 0});
  const auto y = value(relu(x), bind<"x">(at_kink));
  CHECK(y[0] == 0);
  CHECK(y[1] == 0);
  CHECK(y[2] == 2);
}

TEST_CASE("leaky_relu: the left slope alpha at 0 by default, any k in [alpha, 1] on request") {
  check_derivative(leaky_relu(x, 0.2_c), {0.2, 0.2, 1, 0.2, 0.2});
  check_derivative(leaky_relu(x, 0.2_c, kink<1>), {0.2, 1, 1, 1, 0.2});
  check_derivative(leaky_relu(x, 0.2_c, kink<1, 2>), {0.2, 0.5, 1, 0.5, 0.2});
  check_derivative(leaky_relu(x), {0.01, 0.01, 1, 0.01, 0.01});  // PyTorch's default slope
  const auto y = value(leaky_relu(x, 0.2_c), bind<"x">(at_kink));
  CHECK(y[0] == doctest::Approx(-0.3).epsilon(1e-15));
  CHECK(y[2] == 2);
}

TEST_CASE("abs: |x|'(0) = 0 by default, any k in [-1, 1] on request") {
  check_derivative(abs(x), {-1, 0, 1, 0, -1});
  check_derivative(abs(x, kink<1>), {-1, 1, 1, 1, -1});
  check_derivative(abs(x, kink<-1>), {-1, -1, 1, -1, -1});
  check_derivative(abs(x, kink<-1, 4>), {-1, -0.25, 1, -0.25, -1});
}

TEST_CASE("smooth_abs has no kink: derivative 0 at 0, close to sign(x) away from it") {
  const auto g = vjp_at(smooth_abs(x, 1e-12_c), at_kink);
  const auto t = jvp_at(smooth_abs(x, 1e-12_c), at_kink);
  const std::array<double, 5> sign{-1, 0, 1, 0, -1};
  for (std::size_t k = 0; k < 5; ++k) {
    CAPTURE(k);
    CHECK(g[k] == doctest::Approx(sign[k]).epsilon(1e-11));
    CHECK(t[k] == g[k]);
  }
  CHECK(g[1] == 0);
}

TEST_CASE("max and min: ties split the gradient evenly") {
  constexpr auto a = input<"a", vec<3>>;
  constexpr auto b = input<"b", vec<3>>;
  const std::array<double, 3> av{1, 2, 3}, bv{1, 5, 0};
  const std::array<double, 3> v{1, 1, 1};
  SUBCASE("max") {
    const auto r = vjp(max(a, b), v, bind<"a">(av), bind<"b">(bv)).input_grad;
    CHECK(r.get<"a">()[0] == 0.5);
    CHECK(r.get<"b">()[0] == 0.5);
    CHECK(r.get<"a">()[1] == 0);
    CHECK(r.get<"b">()[1] == 1);
    CHECK(r.get<"a">()[2] == 1);
    CHECK(r.get<"b">()[2] == 0);
    const auto t = jvp(max(a, b), bind<"a">(av), bind<"b">(bv), tangent<"a">(std::array<double, 3>{2, 2, 2}),
                       tangent<"b">(std::array<double, 3>{4, 4, 4}))
                       .tangent;
    CHECK(t[0] == 3);  // (2 + 4) / 2 at the tie
    CHECK(t[1] == 4);
    CHECK(t[2] == 2);
  }
  SUBCASE("min") {
    const auto r = vjp(min(a, b), v, bind<"a">(av), bind<"b">(bv)).input_grad;
    CHECK(r.get<"a">()[0] == 0.5);
    CHECK(r.get<"b">()[0] == 0.5);
    CHECK(r.get<"a">()[1] == 1);
    CHECK(r.get<"b">()[2] == 1);
  }
  SUBCASE("a broadcast scalar collects half of every tie") {
    constexpr auto s = input<"s", scalar>;
    const auto r = vjp(max(s, b), v, bind<"s">(1.0), bind<"b">(std::array<double, 3>{1, 1, 0})).input_grad;
    CHECK(r.get<"s">() == 2.0);  // ½ + ½ + 1
    CHECK(r.get<"b">()[0] == 0.5);
    CHECK(r.get<"b">()[2] == 0);
  }
}

TEST_CASE("NaN propagates through relu, max and min values") {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr auto s = input<"s", scalar>;
  constexpr auto t = input<"t", scalar>;
  CHECK(std::isnan(value(relu(s), bind<"s">(nan))));
  CHECK(std::isnan(value(max(s, t), bind<"s">(nan), bind<"t">(1.0))));
  CHECK(std::isnan(value(max(s, t), bind<"s">(1.0), bind<"t">(nan))));
  CHECK(std::isnan(value(min(s, t), bind<"s">(nan), bind<"t">(1.0))));
  CHECK(std::isnan(value(min(s, t), bind<"s">(1.0), bind<"t">(nan))));
}

TEST_CASE("equal kink ratios name the same node, so they are shared") {
  constexpr auto v = input<"v", vec<3>>;
  static_assert(std::is_same_v<decltype(relu(v, kink<1, 2>)), decltype(relu(v, kink<2, 4>))>);
  static_assert(std::is_same_v<decltype(relu(v)), decltype(relu(v, kink<0, 5>))>);
  static_assert(std::is_same_v<decltype(abs(v, kink<-1, 2>)), decltype(abs(v, kink<2, -4>))>);
  CHECK(graph<decltype(relu(v, kink<1, 2>) + relu(v, kink<2, 4>))>::node_count == 3);
}
