// Class labels: softmax_cross_entropy(z, y) with y = input<"y", class_index<C>> equals the
// one-hot form in value and every gradient (scalar path, batch engine, the
// Hessian), and a label that is not an integer in [0, C) is a label_error
// naming it, thrown before anything is written.

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<3>>;
constexpr auto W = param<"W", mat<4, 3>>;
constexpr auto b = param<"b", vec<4>>;
constexpr auto logits = W * x + b;
constexpr auto with_label = nn::softmax_cross_entropy(logits, input<"y", class_index<4>>);
constexpr auto with_one_hot = nn::softmax_cross_entropy(logits, input<"t", vec<4>>);

template <class Loss, class E = double>
params<Loss, E> seeded_params() {
  params<Loss, E> P;
  std::size_t k = 0;
  for (E& p : P.span()) p = E(0.7 * std::sin(1.3 * double(++k)));
  return P;
}

std::array<double, 4> one_hot(std::size_t c) {
  std::array<double, 4> t{};
  t[c] = 1;
  return t;
}

template <class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const label_error& e) {
    return e.what();
  }
  return "(no label_error)";
}
}  // namespace

TEST_CASE("label loss: value and parameter gradient equal the one-hot form's, for every class") {
  const auto P = seeded_params<decltype(with_label)>();
  const auto Q = seeded_params<decltype(with_one_hot)>();
  const std::array<double, 3> xv{0.4, -1.2, 2.0};
  for (std::size_t c = 0; c < 4; ++c) {
    CAPTURE(c);
    const auto a = value_and_grad(with_label, P, bind<"x">(xv), bind<"y">(double(c)));
    const auto h = value_and_grad(with_one_hot, Q, bind<"x">(xv), bind<"t">(one_hot(c)));
    CHECK(a.value == doctest::Approx(h.value).epsilon(1e-15));
    for (std::size_t k = 0; k < P.size(); ++k) CHECK(a.grad.data()[k] == doctest::Approx(h.grad.data()[k]).epsilon(1e-14));
    // An integer-typed label binds too.
    CHECK(value(with_label, P, bind<"x">(xv), bind<"y">(int(c))) == a.value);
  }
}

TEST_CASE("label loss: logit gradient is softmax minus the one-hot vector; JVP and Hessian agree") {
  constexpr auto z = input<"z", vec<4>>;
  constexpr auto loss = nn::softmax_cross_entropy(z, input<"y", class_index<4>>);
  const std::array<double, 4> zv{0.3, -2.0, 1.5, 0.1};
  double total = 0;
  std::array<double, 4> p{};
  for (std::size_t k = 0; k < 4; ++k) total += std::exp(zv[k]);
  for (std::size_t k = 0; k < 4; ++k) p[k] = std::exp(zv[k]) / total;
  const std::size_t c = 2;
  const auto g = value_and_grad(loss, wrt_inputs, bind<"z">(zv), bind<"y">(double(c)));
  CHECK(g.value == doctest::Approx(std::log(total) - zv[c]).epsilon(1e-15));
  for (std::size_t k = 0; k < 4; ++k)
    CHECK(g.input_grad.get<"z">()[k] == doctest::Approx(p[k] - (k == c ? 1.0 : 0.0)).epsilon(1e-14));
  CHECK(g.input_grad.get<"y">() == 0);  // a label has no derivative
  // And against central differences of the loss in each logit.
  for (std::size_t k = 0; k < 4; ++k) {
    std::array<double, 4> up = zv, down = zv;
    up[k] += 1e-6;
    down[k] -= 1e-6;
    const double fd = (value(loss, bind<"z">(up), bind<"y">(double(c))) -
                       value(loss, bind<"z">(down), bind<"y">(double(c)))) / 2e-6;
    CHECK(g.input_grad.get<"z">()[k] == doctest::Approx(fd).epsilon(1e-7));
  }
  // Forward mode along e_c: the loss changes by p_c - 1.
  std::array<double, 4> dir{};
  dir[c] = 1;
  const auto t = jvp(loss, bind<"z">(zv), bind<"y">(double(c)), tangent<"z">(dir));
  CHECK(t.tangent == doctest::Approx(p[c] - 1).epsilon(1e-14));
  // The Hessian does not depend on the label: diag(p) - p pᵀ.
  const auto H = hessian(loss, wrt<"z">, bind<"z">(zv), bind<"y">(double(c)));
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j)
      CHECK(H.matrix(i, j) == doctest::Approx((i == j ? p[i] : 0.0) - p[i] * p[j]).epsilon(1e-13));
}

TEST_CASE("label loss: a label outside [0, C) or not an integer is a label_error naming it") {
  const auto P = seeded_params<decltype(with_label)>();
  const std::array<double, 3> xv{0.4, -1.2, 2.0};
  const std::string high = message_of([&] { (void)value_and_grad(with_label, P, bind<"x">(xv), bind<"y">(4.0)); });
  CHECK(high == "tapeless: label 'y' (class_index<4>) holds 4: a class label must be an integer in [0, 4)");
  CHECK(message_of([&] { (void)value(with_label, P, bind<"x">(xv), bind<"y">(-1)); }).find("holds -1:") !=
        std::string::npos);
  CHECK(message_of([&] { (void)value(with_label, P, bind<"x">(xv), bind<"y">(2.5)); }).find("holds 2.5:") !=
        std::string::npos);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(message_of([&] { (void)value(with_label, P, bind<"x">(xv), bind<"y">(nan)); }).find("holds nan") !=
        std::string::npos);
}

TEST_CASE_TEMPLATE("label loss, batch engine: equals the one-hot batch at every tail size; a bad label writes nothing",
                   E, float, double) {
  const auto P = seeded_params<decltype(with_label), E>();
  params<decltype(with_one_hot), E> Q;
  for (std::size_t k = 0; k < Q.size(); ++k) Q.data()[k] = P.data()[k];  // same layout: W, b
  batch_engine<decltype(with_label), params<decltype(with_label), E>> labels;
  batch_engine<decltype(with_one_hot), params<decltype(with_one_hot), E>> hot;
  constexpr std::size_t W_lanes = decltype(labels)::lanes;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-2, 2);
  for (const std::size_t n : {std::size_t(1), W_lanes - 1, W_lanes + 1, 2 * W_lanes + 3}) {
    CAPTURE(n);
    std::vector<E> xs(3 * n), ys(n), ts(4 * n, E(0));
    for (E& v : xs) v = E(u(rng));
    for (std::size_t s = 0; s < n; ++s) {
      ys[s] = E(s * 7 % 4);
      ts[4 * s + s * 7 % 4] = E(1);
    }
    params<decltype(with_label), E> G;
    params<decltype(with_one_hot), E> H;
    const E La = labels.value_and_grad_into(P, G, n, bind<"x">(xs), bind<"y">(ys));
    const E Lh = hot.value_and_grad_into(Q, H, n, bind<"x">(xs), bind<"t">(ts));
    const double tol = std::is_same_v<E, float> ? 1e-5 : 1e-13;
    CHECK(double(La) == doctest::Approx(double(Lh)).epsilon(tol));
    for (std::size_t k = 0; k < G.size(); ++k)
      CHECK(double(G.data()[k]) == doctest::Approx(double(H.data()[k])).epsilon(tol).scale(1));

    // One bad label: thrown before anything is written to G.
    ys[n - 1] = E(4);
    G.fill(E(7));
    const std::string what = message_of([&] { (void)labels.value_and_grad_into(P, G, n, bind<"x">(xs), bind<"y">(ys)); });
    CHECK(what == "tapeless: label 'y' (class_index<4>) holds 4 for sample " + std::to_string(n - 1) +
                      ": a class label must be an integer in [0, 4)");
    for (std::size_t k = 0; k < G.size(); ++k) CHECK(G.data()[k] == E(7));
  }
}
