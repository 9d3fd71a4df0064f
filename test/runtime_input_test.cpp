// Run-time input: every accepted data layout, size errors that throw before
// anything is written, and gradcheck catching a wrong rule.

#include <array>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y", scalar>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto loss = 0.5_c * square(dot(w2, relu(W1 * x + b1)) + b2 - y);
using loss_t = decltype(loss);

params<loss_t, double> seed_params() {
  params<loss_t, double> P;
  P.get<"W1">() = {{1, -1}, {0.5, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5;
  return P;
}

// A matrix input, to bind nested data to.
constexpr auto A = input<"A", mat<2, 3>>;
constexpr auto row_sums = sum(A * input<"ones", vec<3>>);
}  // namespace

TEST_CASE("an input accepts arrays, C arrays, spans, vectors and tensors") {
  const auto P = seed_params();
  const double expected = 3.125;
  const std::array<double, 2> arr{2, -1};
  const double carr[2] = {2, -1};
  const std::vector<double> vecd{2, -1};
  const std::vector<float> vecf{2, -1};
  tensor<double, vec<2>> t;
  t = {2, -1};
  CHECK(value(loss, P, bind<"x">(arr), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(carr), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(std::span<const double>(vecd)), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(std::span<const double, 2>(arr)), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(vecd), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(vecf), bind<"y">(1)) == expected);  // converted per element
  CHECK(value(loss, P, bind<"x">(t), bind<"y">(1.0)) == expected);
  CHECK(value(loss, P, bind<"x">(std::array<double, 2>{2, -1}), bind<"y">(1.0)) == expected);  // rvalue is copied
}

TEST_CASE("a matrix input takes row-major data, flat or nested") {
  const std::array<double, 3> ones{1, 1, 1};
  const std::array<std::array<double, 3>, 2> nested{{{1, 2, 3}, {4, 5, 6}}};
  const double c_nested[2][3] = {{1, 2, 3}, {4, 5, 6}};
  const std::vector<std::vector<double>> vv{{1, 2, 3}, {4, 5, 6}};
  const std::vector<double> flat{1, 2, 3, 4, 5, 6};
  CHECK(value(row_sums, bind<"A">(nested), bind<"ones">(ones)) == 21);
  CHECK(value(row_sums, bind<"A">(c_nested), bind<"ones">(ones)) == 21);
  CHECK(value(row_sums, bind<"A">(vv), bind<"ones">(ones)) == 21);
  CHECK(value(row_sums, bind<"A">(flat), bind<"ones">(ones)) == 21);
  // The first row weighs more, so row-major order matters.
  const std::array<double, 3> weights{1, 10, 100};
  CHECK(value(row_sums, bind<"A">(nested), bind<"ones">(weights)) == 321 + 654);
}

TEST_CASE("a wrong run-time size throws shape_error naming the input, and nothing is written") {
  const auto P = seed_params();
  const std::vector<double> short_x{2};
  const std::vector<double> long_x{2, -1, 0};

  CHECK_THROWS_AS(value(loss, P, bind<"x">(short_x), bind<"y">(1.0)), shape_error);
  CHECK_THROWS_WITH(value(loss, P, bind<"x">(long_x), bind<"y">(1.0)),
                    "tapeless: input 'x' (vec<2>, 2 values) was bound to 3 values");

  // The gradient buffer keeps its contents when the call fails.
  params<loss_t, double> G;
  G.fill(42.0);
  const auto before = G;
  CHECK_THROWS_AS(value_and_grad_into(loss, P, G, bind<"x">(short_x), bind<"y">(1.0)), shape_error);
  CHECK(G == before);
  CHECK_THROWS_AS(value_and_grad_accumulate(loss, P, G, bind<"x">(long_x), bind<"y">(1.0)), shape_error);
  CHECK(G == before);

  // A nested vector with a wrong total size is caught the same way.
  const std::vector<std::vector<double>> ragged{{1, 2, 3}, {4, 5}};
  const std::array<double, 3> ones{1, 1, 1};
  CHECK_THROWS_WITH(value(row_sums, bind<"A">(ragged), bind<"ones">(ones)),
                    "tapeless: input 'A' (mat<2, 3>, 6 values) was bound to 5 values");

  // Rows of the wrong length are caught even when the total is right.
  const std::vector<std::vector<double>> shifted{{1, 2}, {3, 4, 5, 6}};
  CHECK_THROWS_WITH(value(row_sums, bind<"A">(shifted), bind<"ones">(ones)),
                    "tapeless: input 'A' (mat<2, 3>) was bound to nested data whose rows do not have 3 values each");

  // And with the right sizes the same buffer is overwritten with the gradient.
  const std::vector<double> good_x{2, -1};
  CHECK(value_and_grad_into(loss, P, G, bind<"x">(good_x), bind<"y">(1.0)) == 3.125);
  CHECK(G.get<"b2">() == 2.5);
}

TEST_CASE("value_and_grad_accumulate sums gradients over samples") {
  const auto P = seed_params();
  params<loss_t, double> G;
  G.fill(0.0);
  const std::array<double, 2> x1{2, -1}, x2{-1, 3};
  const double L1 = value_and_grad_accumulate(loss, P, G, bind<"x">(x1), bind<"y">(1.0));
  const double L2 = value_and_grad_accumulate(loss, P, G, bind<"x">(x2), bind<"y">(0.0));
  const auto [L1_, G1] = value_and_grad(loss, P, bind<"x">(x1), bind<"y">(1.0));
  const auto [L2_, G2] = value_and_grad(loss, P, bind<"x">(x2), bind<"y">(0.0));
  CHECK(L1 == L1_);
  CHECK(L2 == L2_);
  for (std::size_t i = 0; i < G.size(); ++i) CHECK(G.data()[i] == G1.data()[i] + G2.data()[i]);
}

TEST_CASE("NaN inputs propagate to the loss instead of being hidden") {
  const auto P = seed_params();
  const std::array<double, 2> bad{std::numeric_limits<double>::quiet_NaN(), 1};
  const auto [L, G] = value_and_grad(loss, P, bind<"x">(bad), bind<"y">(1.0));
  CHECK(std::isnan(L));
  CHECK(std::isnan(G.get<"b2">()));
}

// ---- gradcheck ---------------------------------------------------------------

namespace {
// An op whose VJP is wrong on purpose (it forgets the factor 2 of x²), to
// show that gradcheck finds it and says where.
struct wrong_square_op : unary_elementwise {
  static auto value(const auto& v) { return v * v; }
  static auto vjp(const auto& v, const auto&, const auto& ybar) { return ybar * v; }
  static auto jvp(const auto& v, const auto&, const auto& vdot) { return (v + v) * vdot; }
};
template <expression X>
constexpr auto wrong_square(X arg) {
  return detail::make_node<wrong_square_op>(arg);
}
}  // namespace

TEST_CASE("gradcheck passes a correct network and points at a wrong rule") {
  const auto P = seed_params();
  const std::array<double, 2> xv{2, -1};

  const auto good = gradcheck(loss, P, bind<"x">(xv), bind<"y">(1.0));
  CHECK(good.ok(1e-7));
  CHECK(good.checked == P.size() + 3);  // 9 parameters, x (2 values) and y (1)

  constexpr auto bad_loss = 0.5_c * wrong_square(dot(w2, relu(W1 * x + b1)) + b2 - y);
  params<decltype(bad_loss), double> Q;
  Q.get<"W1">() = {{1, -1}, {0.5, 2}};
  Q.get<"b1">() = {0, -1};
  Q.get<"w2">() = {1, -2};
  Q.get<"b2">() = 0.5;
  const auto bad = gradcheck(bad_loss, Q, bind<"x">(xv), bind<"y">(1.0));
  CHECK_FALSE(bad.ok(1e-3));
  // Every gradient entry is halved, so the worst relative error is 1/2, and
  // the report names an entry whose analytic value is half the numeric one.
  CHECK(bad.worst_error == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(bad.analytic == doctest::Approx(bad.numeric / 2).epsilon(1e-6));
  CHECK(bad.numeric != doctest::Approx(0));
  CHECK((bad.where.starts_with("W1[") || bad.where.starts_with("w2[") || bad.where.starts_with("b") ||
         bad.where.starts_with("input ")));
}
