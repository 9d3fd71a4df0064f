// The seed's four backpropagation equations: L-layer MLPs (L = 1..5,
// several widths, ReLU and tanh), built generically as expressions, against
// an independent hand-written backward pass in this file:
//   δ(L) = f(x) - y
//   δ(l) = D(a_l) W_{l+1}ᵀ δ(l+1)
//   ∇W_l = δ(l) h_{l-1}ᵀ
//   ∇b_l = δ(l)

#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

struct relu_act {
  static constexpr auto apply(auto a) { return relu(a); }
  static double f(double a) { return a > 0 ? a : 0; }
  static double df(double a) { return a > 0 ? 1 : 0; }
};
struct tanh_act {
  static constexpr auto apply(auto a) { return tanh(a); }
  static double f(double a) { return std::tanh(a); }
  static double df(double a) { return 1 - std::tanh(a) * std::tanh(a); }
};

// a_l = W_l h_{l-1} + b_l for l = 1..L, h_l = φ(a_l) below the top, the
// top layer linear: params W1, b1, W2, b2, ...
template <class Act, std::size_t... Widths>
struct mlp {
  static constexpr std::array<std::size_t, sizeof...(Widths)> w{Widths...};
  static constexpr std::size_t layers = sizeof...(Widths) - 1;

  template <std::size_t L>
  static constexpr auto pre_activation(auto h) {
    constexpr auto W = param<indexed_name<"W", L>, mat<w[L], w[L - 1]>>;
    constexpr auto b = param<indexed_name<"b", L>, vec<w[L]>>;
    return W * h + b;
  }
  template <std::size_t L>
  static constexpr auto output(auto h) {
    if constexpr (L == layers)
      return pre_activation<L>(h);
    else
      return output<L + 1>(Act::apply(pre_activation<L>(h)));
  }
  static constexpr auto x = input<"x", vec<w[0]>>;
  static constexpr auto y = input<"y", vec<w[layers]>>;
  static constexpr auto f = output<1>(x);
  static constexpr auto loss = 0.5_c * sum(square(f - y));
};

using matrix = std::vector<std::vector<double>>;

// The region of parameter `name` in P, as nested vectors.
template <class P>
matrix read(const P& buffer, const std::string& name, std::size_t rows, std::size_t cols) {
  for (const leaf_info& leaf : P::layout_info())
    if (leaf.name == name) {
      matrix m(rows, std::vector<double>(cols));
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) m[i][j] = buffer.data()[leaf.offset + i * cols + j];
      return m;
    }
  FAIL("no parameter " << name);
  return {};
}

template <class Act, std::size_t... Widths>
void check_four_equations(unsigned seed) {
  using net = mlp<Act, Widths...>;
  constexpr std::size_t L = net::layers;
  const auto& w = net::w;
  CAPTURE(L);
  CAPTURE(seed);

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  params<decltype(net::loss)> P;
  for (const leaf_info& leaf : P.layout_info()) {
    const double fan_in = double(leaf.rank == 2 ? leaf.dims[1] : 1);
    for (std::size_t k = 0; k < leaf.size; ++k) P.data()[leaf.offset + k] = gauss(rng) / std::sqrt(fan_in);
  }
  std::vector<double> x(w[0]), y(w[L]);
  for (double& v : x) v = gauss(rng);
  for (double& v : y) v = gauss(rng);

  const auto [J, grad] = value_and_grad(net::loss, P, bind<"x">(x), bind<"y">(y));

  // Hand-written forward pass: h[0] = x, a[l] = W_l h[l-1] + b_l.
  std::vector<matrix> W(L + 1);
  std::vector<std::vector<double>> b(L + 1), a(L + 1), h(L + 1), delta(L + 1);
  h[0] = x;
  for (std::size_t l = 1; l <= L; ++l) {
    W[l] = read(P, "W" + std::to_string(l), w[l], w[l - 1]);
    for (const auto& row : read(P, "b" + std::to_string(l), w[l], 1)) b[l].push_back(row[0]);
    a[l].assign(w[l], 0.0);
    for (std::size_t i = 0; i < w[l]; ++i) {
      a[l][i] = b[l][i];
      for (std::size_t j = 0; j < w[l - 1]; ++j) a[l][i] += W[l][i][j] * h[l - 1][j];
    }
    h[l] = a[l];
    if (l < L)
      for (double& v : h[l]) v = Act::f(v);
  }
  double expected_loss = 0;
  for (std::size_t i = 0; i < w[L]; ++i) expected_loss += 0.5 * (a[L][i] - y[i]) * (a[L][i] - y[i]);
  CHECK(J == doctest::Approx(expected_loss).epsilon(1e-13));

  // Equation 1: δ(L) = f(x) - y.
  delta[L].resize(w[L]);
  for (std::size_t i = 0; i < w[L]; ++i) delta[L][i] = a[L][i] - y[i];
  // Equation 2: δ(l) = D(a_l) W_{l+1}ᵀ δ(l+1).
  for (std::size_t l = L - 1; l >= 1; --l) {
    delta[l].assign(w[l], 0.0);
    for (std::size_t j = 0; j < w[l]; ++j) {
      for (std::size_t i = 0; i < w[l + 1]; ++i) delta[l][j] += W[l + 1][i][j] * delta[l + 1][i];
      delta[l][j] *= Act::df(a[l][j]);
    }
  }
  // Equations 3 and 4: ∇W_l = δ(l) h_{l-1}ᵀ, ∇b_l = δ(l).
  for (std::size_t l = 1; l <= L; ++l) {
    CAPTURE(l);
    const matrix gW = read(grad, "W" + std::to_string(l), w[l], w[l - 1]);
    const matrix gb = read(grad, "b" + std::to_string(l), w[l], 1);
    for (std::size_t i = 0; i < w[l]; ++i) {
      CHECK(gb[i][0] == doctest::Approx(delta[l][i]).epsilon(1e-12));
      for (std::size_t j = 0; j < w[l - 1]; ++j)
        CHECK(gW[i][j] == doctest::Approx(delta[l][i] * h[l - 1][j]).epsilon(1e-12));
    }
  }
}

}  // namespace

TEST_CASE_TEMPLATE("the four equations, ReLU and tanh MLPs of depth 1 to 5", Act, relu_act, tanh_act) {
  for (unsigned seed : {1u, 2u, 3u}) {
    check_four_equations<Act, 3, 2>(seed);                 // L = 1
    check_four_equations<Act, 4, 7, 2>(seed);              // L = 2
    check_four_equations<Act, 2, 8, 8, 1>(seed);           // L = 3
    check_four_equations<Act, 5, 6, 3, 9, 4>(seed);        // L = 4
    check_four_equations<Act, 3, 16, 8, 8, 4, 2>(seed);    // L = 5
    check_four_equations<Act, 1, 1, 1, 1, 1, 1>(seed);    // L = 5, width 1
  }
}

TEST_CASE("the generic MLP's parameters are laid out in layer order") {
  using net = mlp<relu_act, 3, 4, 2>;
  using P = params<decltype(net::loss)>;
  static_assert(P::size() == 4 * 3 + 4 + 2 * 4 + 2);
  CHECK(P::layout_info()[0].name == "W1");
  CHECK(P::layout_info()[1].name == "b1");
  CHECK(P::layout_info()[2].name == "W2");
  CHECK(P::layout_info()[3].name == "b2");
  CHECK(P::layout_info()[1].offset == 12);
  CHECK(P::layout_info()[2].offset == 16);
  CHECK(P::layout_info()[3].offset == 24);
}
