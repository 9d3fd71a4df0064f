// Layers and losses: parameter names and shapes, gradients against finite
// differences, losses at extreme logits, batch (SIMD) against scalar.

#include <array>
#include <cmath>
#include <random>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

#include "laws.hpp"

using namespace tapeless;

namespace {
template <class P>
void randomize(P& p, unsigned seed, double scale = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  for (auto& v : p.span()) v = typename P::element_type(u(rng));
}

constexpr auto x = input<"x", vec<6>>;
constexpr auto label = input<"y", vec<3>>;
constexpr auto mlp = nn::dense<"fc1", 5> | nn::gelu | nn::dense<"fc2", 4> | nn::tanh | nn::dense_no_bias<"out", 3>;
constexpr auto logits = x | mlp;
constexpr auto classifier_loss = nn::softmax_cross_entropy(logits, label);
}  // namespace

TEST_CASE("dense layers name their parameters after the layer") {
  using P = params<decltype(classifier_loss), double>;
  const auto& info = P::layout_info();
  REQUIRE(info.size() == 5);
  CHECK(info[0].name == "fc1.W");
  CHECK(info[0].dims == std::array<std::size_t, 3>{5, 6, 1});
  CHECK(info[1].name == "fc1.b");
  CHECK(info[2].name == "fc2.W");
  CHECK(info[2].dims == std::array<std::size_t, 3>{4, 5, 1});
  CHECK(info[3].name == "fc2.b");
  CHECK(info[4].name == "out.W");
  CHECK(info[4].dims == std::array<std::size_t, 3>{3, 4, 1});
  static_assert(std::is_same_v<decltype(logits)::shape, vec<3>>);
  // Applying the composed layer and chaining by hand give the same graph.
  static_assert(std::is_same_v<decltype(mlp(x)), std::remove_const_t<decltype(logits)>>);
}

TEST_CASE("a classifier built from layers passes gradcheck") {
  params<decltype(classifier_loss), double> P;
  randomize(P, 1);
  const std::array<double, 6> xv{0.3, -1.2, 0.8, 0.1, -0.4, 2.0};
  const std::array<double, 3> y{0, 1, 0};
  const auto report = gradcheck(classifier_loss, P, bind<"x">(xv), bind<"y">(y));
  INFO(report);
  CHECK(report.ok(1e-7));
  CHECK(report.checked == P.size() + 9);
}

TEST_CASE("residual and repeated blocks, with per-block parameter names") {
  constexpr auto h0 = input<"h", vec<4>>;
  constexpr auto block = [](auto h, auto i) {
    constexpr std::size_t I = decltype(i)::value;
    return h + nn::dense<indexed_name<"block", I>, 4>(nn::relu(h));
  };
  constexpr auto net = nn::repeat<3>(block);
  constexpr auto loss = nn::half_squared_error(h0 | net, input<"t", vec<4>>);
  using P = params<decltype(loss), double>;
  static_assert(P::leaf_count() == 6);
  CHECK(P::layout_info()[0].name == "block0.W");
  CHECK(P::layout_info()[5].name == "block2.b");
  P p;
  randomize(p, 2);
  const std::array<double, 4> hv{1, -0.5, 0.25, 2}, t{0, 1, 0, -1};
  CHECK(gradcheck(loss, p, bind<"h">(hv), bind<"t">(t)).ok(1e-7));

  // nn::residual(f) is x + f(x).
  constexpr auto r = h0 | nn::residual(nn::dense<"f", 4> | nn::tanh);
  constexpr auto by_hand = h0 + tanh(param<"f.W", mat<4, 4>> * h0 + param<"f.b", vec<4>>);
  static_assert(std::is_same_v<decltype(r), decltype(by_hand)>);  // both const
}

TEST_CASE("activation layers and gelu") {
  constexpr auto a = input<"a", vec<5>>;
  laws::check(nn::gelu(a), [](const laws::inputs_of<decltype(nn::gelu(a))>& X) {
    std::vector<double> y;
    for (double v : X.get<"a">()) y.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
    return y;
  });
  // Known values of the tanh approximation (PyTorch, approximate="tanh").
  CHECK(value(nn::gelu(input<"s">), bind<"s">(1.0)) == doctest::Approx(0.8411919906082768));
  CHECK(value(nn::gelu(input<"s">), bind<"s">(-2.0)) == doctest::Approx(-0.04540230591222708));
  static_assert(std::is_same_v<decltype(nn::identity(a)), std::remove_const_t<decltype(a)>>);
  static_assert(std::is_same_v<decltype(nn::sigmoid(a)), decltype(sigmoid(a))>);
  static_assert(std::is_same_v<decltype(nn::softplus(a)), decltype(softplus(a))>);
  static_assert(std::is_same_v<decltype(nn::leaky_relu(a)), decltype(leaky_relu(a))>);
}

TEST_CASE("losses: values, gradients, and logits of +-1000") {
  constexpr auto z = input<"z", vec<3>>;
  constexpr auto y = input<"y", vec<3>>;
  const std::array<double, 3> onehot{0, 0, 1};

  laws::check(nn::half_squared_error(z, y), [](const laws::inputs_of<decltype(nn::half_squared_error(z, y))>& X) {
    double s = 0;
    for (std::size_t k = 0; k < 3; ++k) s += 0.5 * std::pow(X.get<"z">()[k] - X.get<"y">()[k], 2);
    return std::vector<double>{s};
  });
  laws::check(nn::mean_squared_error(z, y), [](const laws::inputs_of<decltype(nn::mean_squared_error(z, y))>& X) {
    double s = 0;
    for (std::size_t k = 0; k < 3; ++k) s += std::pow(X.get<"z">()[k] - X.get<"y">()[k], 2) / 3;
    return std::vector<double>{s};
  });
  laws::check(nn::softmax_cross_entropy(z, y),
              [](const laws::inputs_of<decltype(nn::softmax_cross_entropy(z, y))>& X) {
                double lse = 0, zy = 0;
                for (std::size_t k = 0; k < 3; ++k) {
                  lse += std::exp(X.get<"z">()[k]);
                  zy += X.get<"z">()[k] * X.get<"y">()[k];
                }
                return std::vector<double>{std::log(lse) - zy};
              });
  laws::check(nn::binary_cross_entropy_with_logits(z, y),
              [](const laws::inputs_of<decltype(nn::binary_cross_entropy_with_logits(z, y))>& X) {
                double s = 0;
                for (std::size_t k = 0; k < 3; ++k) {
                  const double v = X.get<"z">()[k], t = X.get<"y">()[k];
                  s += std::log1p(std::exp(v)) - t * v;
                }
                return std::vector<double>{s};
              });

  // Softmax cross-entropy at huge logits: exact values, finite gradients.
  constexpr auto ce = nn::softmax_cross_entropy(z, y);
  const std::array<double, 3> huge{1000, -1000, 0};
  const auto r = value_and_grad(ce, wrt_inputs, bind<"z">(huge), bind<"y">(onehot));
  CHECK(r.value == doctest::Approx(1000));  // -log softmax(z)_2 = 1000 + log(1 + e^-1000 + e^-2000)
  const auto dz = r.input_grad.get<"z">();
  CHECK(dz[0] == doctest::Approx(1));  // softmax - onehot
  CHECK(dz[1] == 0);
  CHECK(dz[2] == doctest::Approx(-1));
  const std::array<double, 3> right{-1000, -1000, 1000};
  CHECK(value(ce, bind<"z">(right), bind<"y">(onehot)) == 0);

  constexpr auto bce = nn::binary_cross_entropy_with_logits(z, y);
  const std::array<double, 3> t{1, 0, 1};
  const auto b = value_and_grad(bce, wrt_inputs, bind<"z">(huge), bind<"y">(t));
  CHECK(b.value == doctest::Approx(std::log(2.0)));  // confident and right costs 0; z = 0 costs log 2
  const std::array<double, 3> wrong{0, 1, 0};
  CHECK(value(bce, bind<"z">(huge), bind<"y">(wrong)) == doctest::Approx(2000 + std::log(2.0)));
  const auto db = b.input_grad.get<"z">();
  CHECK(db[0] == doctest::Approx(0));  // σ(1000) - 1
  CHECK(db[1] == doctest::Approx(0));  // σ(-1000) - 0
  CHECK(db[2] == doctest::Approx(-0.5));
  CHECK(std::isfinite(db[0]));
}

TEST_CASE("the classifier on SIMD lanes agrees with the scalar path") {
  params<decltype(classifier_loss), float> P;
  randomize(P, 3);
  constexpr std::size_t n = 77;
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-2, 2);
  std::vector<float> xs(6 * n), ys(3 * n, 0.0f);
  for (float& v : xs) v = u(rng);
  for (std::size_t s = 0; s < n; ++s) ys[3 * s + s % 3] = 1;

  params<decltype(classifier_loss), double> Pd, Gref;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = P.data()[k];
  Gref.fill(0);
  double Lref = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::array<double, 6> xv{};
    std::array<double, 3> yv{};
    for (std::size_t k = 0; k < 6; ++k) xv[k] = xs[6 * s + k];
    for (std::size_t k = 0; k < 3; ++k) yv[k] = ys[3 * s + k];
    Lref += value_and_grad_accumulate(classifier_loss, Pd, Gref, bind<"x">(xv), bind<"y">(yv));
  }
  const auto [L, G] = value_and_grad_batch(classifier_loss, P, n, bind<"x">(aos(xs)), bind<"y">(aos(ys)));
  CHECK(double(L) == doctest::Approx(Lref).epsilon(1e-5));
  for (std::size_t k = 0; k < P.size(); ++k)
    CHECK(double(G.data()[k]) == doctest::Approx(Gref.data()[k]).epsilon(1e-4).scale(1));
}
