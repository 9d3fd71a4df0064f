// Batch inference (eval/predict.hpp): forward-only values of a
// vector-valued expression for n samples, against the scalar path sample by
// sample, at every tail size, in every input and output layout; size
// mistakes throw before anything is written.

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/predict.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<5>>;
constexpr auto W1 = param<"W1", mat<7, 5>>;
constexpr auto b1 = param<"b1", vec<7>>;
constexpr auto W2 = param<"W2", mat<3, 7>>;
constexpr auto logits = W2 * relu(W1 * x + b1) + tanh(sum(x)) * 0.5_c;
constexpr auto score = logsumexp(logits);

template <class Root, class E>
params<Root, E> random_params(std::mt19937& rng) {
  params<Root, E> P;
  std::uniform_real_distribution<double> u(-1, 1);
  for (E& p : P.span()) p = E(u(rng));
  return P;
}

template <class E, std::size_t Pack, class Root>
void check_layouts(Root f, std::size_t n) {
  constexpr std::size_t k = Root::shape::size;
  std::mt19937 rng(unsigned(n) + 11);
  const auto P = random_params<Root, E>(rng);
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<E> xs(n * 5), xs_soa(n * 5);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t e = 0; e < 5; ++e) xs_soa[e * n + s] = xs[s * 5 + e] = E(u(rng));
  // Scalar path, one sample at a time.
  std::vector<E> want(n * k);
  for (std::size_t s = 0; s < n; ++s) {
    const auto v = value(f, P, bind<"x">(std::span<const E, 5>(&xs[s * 5], 5)));
    if constexpr (k == 1)
      want[s] = v;
    else
      for (std::size_t e = 0; e < k; ++e) want[s * k + e] = v[e];
  }
  const double tol = std::is_same_v<E, float> ? 2e-6 : 1e-14;
  batch_predictor<Root, params<Root, E>, Pack> predictor;
  std::vector<E> aos_result(n * k, E(-99)), soa_result(n * k, E(-99));
  predictor.value_into(P, n, aos_result, bind<"x">(aos(xs)));
  predictor.value_into(P, n, soa_out(soa_result), bind<"x">(soa(xs_soa)));
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t e = 0; e < k; ++e) {
      CHECK(double(aos_result[s * k + e]) == doctest::Approx(double(want[s * k + e])).epsilon(tol));
      CHECK(double(soa_result[e * n + s]) == doctest::Approx(double(want[s * k + e])).epsilon(tol));
    }
}

template <class E, std::size_t Pack>
void check_tails() {
  constexpr std::size_t W = batch_predictor<decltype(logits), params<decltype(logits), E>, Pack>::lanes;
  for (std::size_t n : {std::size_t(0), std::size_t(1), W - 1, W, W + 1, 2 * W + 1, std::size_t(37)}) {
    CAPTURE(n);
    check_layouts<E, Pack>(logits, n);
    check_layouts<E, Pack>(score, n);
  }
}
}  // namespace

TEST_CASE("batch inference equals the scalar path at every tail, both layouts in and out") {
  check_tails<float, 1>();
  check_tails<float, 3>();
  check_tails<float, 16>();
  check_tails<double, 2>();
  check_tails<double, 8>();
}

TEST_CASE("batch inference: one call, default pack, aos_out") {
  std::mt19937 rng(5);
  const auto P = random_params<decltype(logits), float>(rng);
  std::vector<float> xs(3 * 5, 0.25f), out(3 * 3);
  value_batch_into(logits, P, 3, aos_out(out), bind<"x">(xs));
  const auto v = value(logits, P, bind<"x">(std::span<const float, 5>(xs.data(), 5)));
  for (std::size_t s = 0; s < 3; ++s)
    for (std::size_t e = 0; e < 3; ++e) CHECK(out[s * 3 + e] == doctest::Approx(v[e]).epsilon(2e-6));
}

TEST_CASE("batch inference: wrong sizes throw shape_error naming the binding or the output, nothing written") {
  std::mt19937 rng(5);
  const auto P = random_params<decltype(logits), float>(rng);
  batch_predictor<decltype(logits), params<decltype(logits), float>> predictor;
  std::vector<float> xs(4 * 5, 1.0f), out(4 * 3, -7.0f);
  auto untouched = [&] {
    for (float v : out) CHECK(v == -7.0f);
  };
  CHECK_THROWS_WITH_AS(predictor.value_into(P, 4, std::span(out).first(11), bind<"x">(xs)),
                       doctest::Contains("output (3 values per sample) has 11 values for 4 samples (needs 12)"),
                       shape_error);
  untouched();
  CHECK_THROWS_WITH_AS(predictor.value_into(P, 5, out, bind<"x">(xs)), doctest::Contains("'x'"), shape_error);
  untouched();
  // n · k would wrap around: still a clean error.
  const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
  CHECK_THROWS_WITH_AS(predictor.value_into(P, huge, out, bind<"x">(xs)), doctest::Contains("needs more than"),
                       shape_error);
  untouched();
}

// NaN must come out of max, min and max pooling on SIMD lanes as it does
// for one sample: their rules test math::isnan (xsimd::isnan on registers).
// With `v != v` instead they dropped NaN on AVX and AVX-512, where xsimd's
// != is an ordered comparison (false when either side is NaN). logsumexp
// is checked for agreement only: its sum carries a NaN either way.
template <class E>
std::vector<E> with_nans(std::size_t n, std::size_t size, std::size_t seed) {
  std::mt19937 rng{static_cast<unsigned>(seed)};
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<E> xs(n * size);
  for (E& x : xs) x = E(u(rng));
  for (std::size_t s = 0; s < n; ++s)
    if ((s + seed) % 3 == 0) xs[s * size + (s + seed) % size] = std::numeric_limits<E>::quiet_NaN();
  return xs;
}

template <class E, class Root, class OneSample, class... Bindings>
void check_like_one_sample(const char* op, Root f, std::size_t n, OneSample one_sample, const Bindings&... batch) {
  CAPTURE(std::string(op));
  constexpr std::size_t k = Root::shape::size;
  params<Root, E> P;
  std::vector<E> out(n * k, E(-99));
  value_batch_into(f, P, n, aos_out(out), batch...);
  for (std::size_t s = 0; s < n; ++s) {
    const auto v = one_sample(P, s);
    for (std::size_t e = 0; e < k; ++e) {
      CAPTURE(s);
      CAPTURE(e);
      E want;
      if constexpr (k == 1)
        want = E(v);
      else
        want = E(v[e]);
      CHECK(std::isnan(out[s * k + e]) == std::isnan(want));
      if (!std::isnan(want)) CHECK(out[s * k + e] == doctest::Approx(want).epsilon(1e-6));
    }
  }
}

TEST_CASE_TEMPLATE("NaN comes out of max, min, logsumexp and max pooling on lanes as for one sample", E, float,
                   double) {
  constexpr auto a = input<"a", vec<4>>;
  constexpr auto b = input<"b", vec<4>>;
  constexpr auto img = input<"img", image<1, 2, 4>>;
  for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(37)}) {
    CAPTURE(n);
    const std::vector<E> as = with_nans<E>(n, 4, 1), bs = with_nans<E>(n, 4, 2), imgs = with_nans<E>(n, 8, 3);
    auto ab = [&](auto f) {
      return [&, f](const auto& P, std::size_t s) {
        return value(f, P, bind<"a">(std::span<const E, 4>(&as[s * 4], 4)),
                     bind<"b">(std::span<const E, 4>(&bs[s * 4], 4)));
      };
    };
    check_like_one_sample<E>("max", max(a, b), n, ab(max(a, b)), bind<"a">(aos(as)), bind<"b">(aos(bs)));
    check_like_one_sample<E>("min", min(a, b), n, ab(min(a, b)), bind<"a">(aos(as)), bind<"b">(aos(bs)));
    check_like_one_sample<E>("logsumexp", logsumexp(a - b), n, ab(logsumexp(a - b)), bind<"a">(aos(as)), bind<"b">(aos(bs)));
    check_like_one_sample<E>(
        "max_pool2d", max_pool2d<2>(img), n,
        [&](const auto& P, std::size_t s) {
          return value(max_pool2d<2>(img), P, bind<"img">(std::span<const E, 8>(&imgs[s * 8], 8)));
        },
        bind<"img">(aos(imgs)));
  }
}

// The gradient of max pooling goes to a window's first NaN, on lanes as for
// one sample: the batch engine's parameter gradient (summed over samples)
// against the sum of one-sample gradients, with NaN in some samples.
TEST_CASE_TEMPLATE("max_pool2d routes the gradient to the first NaN on lanes as for one sample", E, float, double) {
  constexpr auto img = input<"img", image<1, 2, 4>>;
  constexpr auto shift = param<"shift", image<1, 2, 4>>;
  constexpr auto loss = sum(max_pool2d<2>(img + shift));
  using Loss = decltype(loss);
  for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(37)}) {
    CAPTURE(n);
    const std::vector<E> imgs = with_nans<E>(n, 8, 3);
    params<Loss, E> P, G, G_one;
    P.fill(E(0.25));
    G_one.fill(E(0));
    for (std::size_t s = 0; s < n; ++s)
      value_and_grad_accumulate(loss, P, G_one, bind<"img">(std::span<const E, 8>(&imgs[s * 8], 8)));
    batch_engine<Loss, params<Loss, E>> engine;
    engine.value_and_grad_into(P, G, n, bind<"img">(aos(imgs)));
    for (std::size_t k = 0; k < 8; ++k) {
      CAPTURE(k);
      CHECK(G.data()[k] == G_one.data()[k]);  // counts of windows: exact
    }
  }
}
