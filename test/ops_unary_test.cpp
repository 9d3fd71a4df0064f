// Elementwise unary ops: value, VJP and JVP against finite differences and
// a plain reference, on a vector and on a scalar; numerical stability at
// large arguments.

#include <cmath>
#include <limits>
#include <type_traits>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "laws.hpp"

using namespace tapeless;

namespace {
constexpr auto a5 = input<"a", vec<5>>;
constexpr auto a = input<"a", scalar>;
constexpr auto am = input<"a", mat<2, 3>>;

template <laws::scope Scope = laws::scope::all, class F>
void check_unary(F f, double (*fn)(double), laws::options opt = {}) {
  laws::check<Scope>(f, laws::unary_reference<F>(fn), opt);
}

// A matrix operand is its elements in storage order to an elementwise op:
// its laws in float, over parameters and on lanes are the vector's.
constexpr auto matrix_form = laws::scope::double_inputs;

double ref_square(double x) { return x * x; }
double ref_sqrt(double x) { return std::sqrt(x); }
double ref_exp(double x) { return std::exp(x); }
double ref_log(double x) { return std::log(x); }
double ref_tanh(double x) { return std::tanh(x); }
double ref_neg(double x) { return -x; }
double ref_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double ref_softplus(double x) { return std::log1p(std::exp(x)); }
double ref_smooth_abs(double x) { return std::sqrt(x * x + 1e-3); }
double ref_sin(double x) { return std::sin(x); }
double ref_cos(double x) { return std::cos(x); }
double ref_log1p(double x) { return std::log1p(x); }
double ref_expm1(double x) { return std::expm1(x); }
double ref_cube(double x) { return x * x * x; }
double ref_pow_1_5(double x) { return std::pow(x, 1.5); }
double ref_reciprocal(double x) { return 1 / x; }
double ref_relu(double x) { return x > 0 ? x : 0; }
double ref_leaky(double x) { return x > 0 ? x : 0.2 * x; }
double ref_abs(double x) { return std::abs(x); }
}  // namespace

TEST_CASE("square") {
  check_unary(square(a5), ref_square);
  check_unary(square(a), ref_square);
  check_unary<matrix_form>(square(am), ref_square);
}

TEST_CASE("sqrt (positive arguments)") {
  check_unary(sqrt(a5), ref_sqrt, {.lo = 0.1, .hi = 4});
  check_unary(sqrt(a), ref_sqrt, {.lo = 0.1, .hi = 4});
}

TEST_CASE("exp") {
  check_unary(exp(a5), ref_exp, {.lo = -3, .hi = 3});
  check_unary(exp(a), ref_exp);
}

TEST_CASE("log (positive arguments)") {
  check_unary(log(a5), ref_log, {.lo = 0.2, .hi = 5});
  check_unary(log(a), ref_log, {.lo = 0.2, .hi = 5});
}

TEST_CASE("tanh") {
  check_unary(tanh(a5), ref_tanh, {.lo = -3, .hi = 3});
  check_unary<matrix_form>(tanh(am), ref_tanh);
}

TEST_CASE("negation") {
  check_unary(-a5, ref_neg);
  check_unary(-a, ref_neg);
}

TEST_CASE("sigmoid") {
  check_unary(sigmoid(a5), ref_sigmoid, {.lo = -6, .hi = 6});
  check_unary(sigmoid(a), ref_sigmoid);
}

TEST_CASE("softplus") {
  check_unary(softplus(a5), ref_softplus, {.lo = -6, .hi = 6});
  check_unary(softplus(a), ref_softplus);
}

TEST_CASE("smooth_abs") {
  check_unary(smooth_abs(a5, 1e-3_c), ref_smooth_abs, {.lo = -1, .hi = 1});
  check_unary(smooth_abs(a, 1e-3_c), ref_smooth_abs);
}

TEST_CASE("sin and cos") {
  check_unary(sin(a5), ref_sin, {.lo = -4, .hi = 4});
  check_unary(cos(a5), ref_cos, {.lo = -4, .hi = 4});
  check_unary<matrix_form>(cos(am), ref_cos);
}

TEST_CASE("log1p (arguments above -1) and expm1") {
  check_unary(log1p(a5), ref_log1p, {.lo = -0.8, .hi = 3});
  check_unary(expm1(a5), ref_expm1, {.lo = -3, .hi = 3});
  check_unary(expm1(a), ref_expm1, {.lo = -1e-3, .hi = 1e-3});
}

TEST_CASE("pow with a constant exponent") {
  check_unary(pow(a5, 3_c), ref_cube, {.lo = -2, .hi = 2});
  check_unary(pow(a5, 1.5_c), ref_pow_1_5, {.lo = 0.1, .hi = 3});
  check_unary(pow(am, -1_c), ref_reciprocal, {.lo = 0.5, .hi = 3});
  // pow(x, 1_c) is x itself, no node.
  static_assert(std::is_same_v<decltype(pow(a5, 1_c)), std::remove_const_t<decltype(a5)>>);
}

// Away from their kinks these are smooth; the kink conventions have their
// own tests in ops_kinks_test.cpp.
TEST_CASE("relu, leaky_relu and abs away from the kink") {
  check_unary(relu(a5), ref_relu);
  check_unary(leaky_relu(a5, 0.2_c), ref_leaky);
  check_unary(abs(a5), ref_abs);
}

TEST_CASE("sigmoid and softplus stay finite and accurate at large arguments") {
  const auto s = [](double x) { return value(sigmoid(a), bind<"a">(x)); };
  const auto sp = [](double x) { return value(softplus(a), bind<"a">(x)); };
  const auto ds = [](double x) { return vjp(sigmoid(a), 1.0, bind<"a">(x)).input_grad.get<"a">(); };
  const auto dsp = [](double x) { return vjp(softplus(a), 1.0, bind<"a">(x)).input_grad.get<"a">(); };

  CHECK(s(1000) == 1.0);
  CHECK(s(-1000) == 0.0);
  CHECK(s(-700) == doctest::Approx(std::exp(-700.0)).epsilon(1e-12));  // tiny, not flushed by 1 - 1
  CHECK(sp(1000) == 1000.0);
  CHECK(sp(-1000) == 0.0);
  CHECK(sp(-700) == doctest::Approx(std::exp(-700.0)).epsilon(1e-12));
  CHECK(sp(30) == doctest::Approx(30 + std::exp(-30.0)).epsilon(1e-15));
  for (double x : {-1000.0, -50.0, 0.0, 50.0, 1000.0}) {
    CAPTURE(x);
    CHECK(std::isfinite(ds(x)));
    CHECK(std::isfinite(dsp(x)));
  }
  CHECK(dsp(1000) == 1.0);
  CHECK(dsp(-700) == doctest::Approx(std::exp(-700.0)).epsilon(1e-12));  // softplus' = sigmoid
  CHECK(ds(0) == 0.25);

  // float: the same guards in single precision.
  params<decltype(sigmoid(a)), float> Pf;
  CHECK(value(sigmoid(a), Pf, bind<"a">(100.0f)) == 1.0f);
  CHECK(value(softplus(a), params<decltype(softplus(a)), float>{}, bind<"a">(-100.0f)) ==
        doctest::Approx(std::exp(-100.0f)));
}

TEST_CASE("sqrt at 0: the derivative is +inf, as documented") {
  const double g = vjp(sqrt(a), 1.0, bind<"a">(0.0)).input_grad.get<"a">();
  CHECK(std::isinf(g));
  CHECK(g > 0);
}
