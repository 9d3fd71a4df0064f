// Matrix and reduction ops: matrix-vector and matrix-matrix products, dot,
// outer, transpose, sum, mean.

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "laws.hpp"

using namespace tapeless;

TEST_CASE("matrix * vector") {
  constexpr auto A = input<"A", mat<3, 4>>;
  constexpr auto x = input<"x", vec<4>>;
  constexpr auto f = A * x;
  static_assert(std::is_same_v<decltype(f)::shape, vec<3>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    const auto a = X.get<"A">();
    const auto v = X.get<"x">();
    std::vector<double> y(3, 0.0);
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 4; ++j) y[i] += a(i, j) * v[j];
    return y;
  });
}

TEST_CASE("matrix * matrix") {
  constexpr auto A = input<"A", mat<2, 3>>;
  constexpr auto B = input<"B", mat<3, 4>>;
  constexpr auto f = A * B;
  static_assert(std::is_same_v<decltype(f)::shape, mat<2, 4>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    const auto a = X.get<"A">();
    const auto b = X.get<"B">();
    std::vector<double> y(8, 0.0);
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t k = 0; k < 3; ++k) y[i * 4 + j] += a(i, k) * b(k, j);
    return y;
  });
}

TEST_CASE("dot of vectors and of matrices (Frobenius)") {
  constexpr auto a = input<"a", vec<5>>;
  constexpr auto b = input<"b", vec<5>>;
  laws::check(dot(a, b), [](const laws::inputs_of<decltype(dot(a, b))>& X) {
    double s = 0;
    for (std::size_t k = 0; k < 5; ++k) s += X.get<"a">()[k] * X.get<"b">()[k];
    return std::vector<double>{s};
  });
  constexpr auto A = input<"A", mat<2, 2>>;
  constexpr auto B = input<"B", mat<2, 2>>;
  // The same rule on the elements in storage order: in double over inputs.
  laws::check<laws::scope::double_inputs>(dot(A, B), [](const laws::inputs_of<decltype(dot(A, B))>& X) {
    double s = 0;
    for (std::size_t k = 0; k < 4; ++k) s += X.get<"A">()[k] * X.get<"B">()[k];
    return std::vector<double>{s};
  });
}

TEST_CASE("outer product") {
  constexpr auto a = input<"a", vec<3>>;
  constexpr auto b = input<"b", vec<2>>;
  constexpr auto f = outer(a, b);
  static_assert(std::is_same_v<decltype(f)::shape, mat<3, 2>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    std::vector<double> y;
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 2; ++j) y.push_back(X.get<"a">()[i] * X.get<"b">()[j]);
    return y;
  });
}

TEST_CASE("transpose") {
  constexpr auto A = input<"A", mat<2, 3>>;
  constexpr auto f = transpose(A);
  static_assert(std::is_same_v<decltype(f)::shape, mat<3, 2>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    std::vector<double> y;
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t i = 0; i < 2; ++i) y.push_back(X.get<"A">()(i, j));
    return y;
  });
  // transpose(W) * v: the spelling for "vector times matrix" (two ops whose
  // other laws run above: in double over inputs).
  constexpr auto v = input<"v", vec<2>>;
  laws::check<laws::scope::double_inputs>(transpose(A) * v, [](const laws::inputs_of<decltype(transpose(A) * v)>& X) {
    std::vector<double> y(3, 0.0);
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t i = 0; i < 2; ++i) y[j] += X.get<"A">()(i, j) * X.get<"v">()[i];
    return y;
  });
}

TEST_CASE("sum and mean") {
  constexpr auto a = input<"a", vec<6>>;
  constexpr auto A = input<"A", mat<2, 3>>;
  laws::check(sum(a), [](const laws::inputs_of<decltype(sum(a))>& X) {
    double s = 0;
    for (double x : X) s += x;
    return std::vector<double>{s};
  });
  laws::check(mean(A), [](const laws::inputs_of<decltype(mean(A))>& X) {
    double s = 0;
    for (double x : X) s += x;
    return std::vector<double>{s / 6};
  });
  // mean divides once: the mean of {1, 2, 4} is exactly 7/3 rounded once.
  const std::array<double, 3> v{1, 2, 4};
  CHECK(value(mean(input<"v", vec<3>>), bind<"v">(v)) == 7.0 / 3.0);
}

TEST_CASE("logsumexp") {
  constexpr auto x = input<"x", vec<5>>;
  laws::check(logsumexp(x), [](const laws::inputs_of<decltype(logsumexp(x))>& X) {
    double s = 0;
    for (std::size_t k = 0; k < 5; ++k) s += std::exp(X.get<"x">()[k]);
    return std::vector<double>{std::log(s)};
  });
  // Large logits neither overflow nor lose the softmax.
  const std::array<double, 3> big{1000, 999, -1000};
  const double y = value(logsumexp(x * 1_c), bind<"x">(std::array<double, 5>{1000, 999, -1000, 1000, 0}));
  CHECK(y == doctest::Approx(1000 + std::log(2 + std::exp(-1.0))));
  constexpr auto z = input<"z", vec<3>>;
  const auto g = value_and_grad(logsumexp(z), wrt_inputs, bind<"z">(big)).input_grad.get<"z">();
  CHECK(g[0] == doctest::Approx(1 / (1 + std::exp(-1.0))));
  CHECK(g[1] == doctest::Approx(std::exp(-1.0) / (1 + std::exp(-1.0))));
  CHECK(g[2] == 0);
  CHECK(g[0] + g[1] + g[2] == doctest::Approx(1));
  CHECK(std::isnan(value(logsumexp(z), bind<"z">(std::array<double, 3>{1, std::nan(""), 2}))));
}

TEST_CASE("pick: the entry at a class label") {
  // The label is drawn among the classes and never perturbed; as an operand
  // it stays an input in every form of the laws.
  constexpr auto z = input<"z", vec<4>>;
  constexpr auto y = input<"y", class_index<4>>;
  laws::check(pick(z, y), [](const laws::inputs_of<decltype(pick(z, y))>& X) {
    return std::vector<double>{X.get<"z">()[std::size_t(X.get<"y">())]};
  });
  // A computed operand (its other laws are those of the two ops).
  laws::check<laws::scope::double_inputs>(pick(tanh(z), y), [](const laws::inputs_of<decltype(pick(tanh(z), y))>& X) {
    return std::vector<double>{std::tanh(X.get<"z">()[std::size_t(X.get<"y">())])};
  });
}

TEST_CASE("repeat: a loop node over its initial value") {
  // The body's own parameters (one copy per block) are checked against the
  // unrolled stack and central differences in repeat_test.cpp; here the
  // loop's rules for its initial value, with a body of h alone.
  constexpr auto h = input<"h", vec<3>>;
  constexpr auto f = repeat<3, "loop">(tanh(h) * 0.5_c + h, h, input<"a", vec<3>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    std::vector<double> v = laws::flat(X.get<"a">());
    for (int block = 0; block < 3; ++block)
      for (double& e : v) e = std::tanh(e) * 0.5 + e;
    return v;
  });
}
