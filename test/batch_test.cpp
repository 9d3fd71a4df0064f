// The batch path: one sample per SIMD lane, against the scalar path summed
// over the same samples, at every tail size, in both data layouts, for
// every op, kinks and ties included.

#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/parallel_batch.hpp>
#include <tapeless/core.hpp>

#include "batch_check.hpp"

using namespace tapeless;
using namespace batch_check;

namespace {
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y">;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto seed_loss = 0.5_c * square(dot(w2, relu(W1 * x + b1)) + b2 - y);

// Every elementwise op on lane values, mixed with parameters (broadcast
// scalars) and constants.
constexpr auto z = W1 * x + b1;
constexpr auto every_op = sum(sigmoid(z) + softplus(z) + abs(z) + leaky_relu(z, 0.1_c) + relu(z, kink<1>) +
                              tanh(z) * w2 + exp(-square(z)) + log(square(z) + 1_c) + sqrt(square(z) + 0.5_c) +
                              smooth_abs(z, 0.01_c) + max(z, w2) + min(z, b2) + z / (2_c + square(w2))) -
                          dot(w2, outer(z, x) * x) * y + mean(transpose(outer(z, w2)) * z) +
                          // Slicing, indexing and joining, on lane values and on parameters.
                          at<1>(z) * dot(concat(at<0>(x), y), slice<1, 2>(concat(b2, w2))) +
                          dot(row<1>(W1), col<0>(W1)) * at<0, 1>(W1) +
                          sum(hadamard(stack(z, w2, b1), reshape<mat<3, 2>>(concat(x, b1, z))));

}  // namespace

TEST_CASE_TEMPLATE("batch gradients equal the scalar path summed over samples, at every tail size", E, float,
                   double) {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> u(-2, 2);
  const auto P_seed = random_params<decltype(seed_loss), E>(rng);
  const auto P_all = random_params<decltype(every_op), E>(rng);
  for (const std::size_t n : batch_sizes<decltype(seed_loss), E>()) {
    std::vector<E> xs(2 * n), ys(n);
    for (E& v : xs) v = E(u(rng));
    for (E& v : ys) v = E(u(rng));
    check_against_scalar(seed_loss, P_seed, n, xs, ys);
    check_against_scalar(every_op, P_all, n, xs, ys);
  }
}

TEST_CASE_TEMPLATE("kinks and ties on some lanes and not others follow the scalar convention", E, float, double) {
  // W1 = [[1, -1], [1, 1]], b1 = 0: z1 = x0 - x1 is exactly 0 when x0 = x1
  // (ReLU's kink, |z|'s kink), and max(z, w2) / min(z, b2) tie when z equals
  // the parameter exactly.
  params<decltype(seed_loss), E> P;
  P.template get<"W1">() = {{1, -1}, {1, 1}};
  P.template get<"b1">() = {0, 0};
  P.template get<"w2">() = {1, 0.5};
  P.template get<"b2">() = E(0.25);
  params<decltype(every_op), E> Q;
  Q.template get<"W1">() = {{1, -1}, {1, 1}};
  Q.template get<"b1">() = {0, 0};
  Q.template get<"w2">() = {0, 1};
  Q.template get<"b2">() = E(0);
  const std::size_t n = 3 * batch_engine<decltype(seed_loss), params<decltype(seed_loss), E>>::lanes + 5;
  std::vector<E> xs(2 * n), ys(n);
  for (std::size_t s = 0; s < n; ++s) {
    const bool kink = s % 3 == 0;
    xs[2 * s] = E(0.5) + E(s % 7) / E(4);
    xs[2 * s + 1] = kink ? xs[2 * s] : E(-0.25) * E(s % 5);
    ys[s] = E(s % 4) / E(2);
  }
  check_against_scalar(seed_loss, P, n, xs, ys);
  check_against_scalar(every_op, Q, n, xs, ys);
}

TEST_CASE("a batch of the wrong size throws before anything is written") {
  const auto P = [] {
    std::mt19937 rng(7);
    return random_params<decltype(seed_loss), float>(rng);
  }();
  batch_engine<decltype(seed_loss), params<decltype(seed_loss), float>> engine;
  params<decltype(seed_loss), float> G;
  G.fill(3);
  const auto before = G;
  const std::vector<float> xs(2 * 10), ys(9);
  CHECK_THROWS_WITH(engine.value_and_grad_into(P, G, 10, bind<"x">(aos(xs)), bind<"y">(ys)),
                    "tapeless: batch input 'y' (scalar, 1 values per sample) was given 9 values for 10 samples "
                    "(needs 10)");
  CHECK(G == before);
  CHECK_THROWS_AS(engine.value_and_grad_into(P, G, 11, bind<"x">(soa(xs)), bind<"y">(ys)), shape_error);
  CHECK(G == before);
}

TEST_CASE("the one-call form matches the engine") {
  std::mt19937 rng(99);
  const auto P = random_params<decltype(seed_loss), double>(rng);
  const std::vector<double> xs{1, 2, -1, 0.5, 0.25, -3}, ys{0.5, -1, 2};
  const auto [L, G] = value_and_grad_batch(seed_loss, P, 3, bind<"x">(xs), bind<"y">(ys));
  batch_engine<decltype(seed_loss), params<decltype(seed_loss), double>> engine;
  params<decltype(seed_loss), double> G2;
  CHECK(engine.value_and_grad_into(P, G2, 3, bind<"x">(xs), bind<"y">(ys)) == L);
  CHECK(G == G2);
  CHECK(value_batch(seed_loss, P, 3, bind<"x">(xs), bind<"y">(ys)) == L);
  // The engine's size is a compile-time constant: the workspace in lane
  // packs plus one double per parameter entry (9 for the seed network).
  using engine_t = batch_engine<decltype(seed_loss), params<decltype(seed_loss), double>>;
  static_assert(sizeof(engine_t::accumulator_type) == sizeof(double));
  static_assert(engine_t::bytes == (slot_layout<decltype(seed_loss)>::size + engine_t::adjoint_count) *
                                       sizeof(engine_t::lane_type) +
                                   9 * sizeof(double));
  // Adjoints are planned compactly: fewer than one per workspace number.
  static_assert(engine_t::adjoint_count < slot_layout<decltype(seed_loss)>::size);
  static_assert(sizeof(engine_t) >= engine_t::bytes);
  // The schedule is chosen from the graph, and these tests cover both: the
  // seed network runs one register at a time with everything in registers,
  // every_op op by op over chunks.
  static_assert(engine_t::in_registers);
  static_assert(!batch_engine<decltype(every_op), params<decltype(every_op), float>>::in_registers);
}

TEST_CASE("a batch split over threads: same result as one engine, same bits for a given thread count") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-2, 2);
  const auto P = random_params<decltype(every_op), float>(rng);
  using engine_t = batch_engine<decltype(every_op), params<decltype(every_op), float>>;
  for (const std::size_t n : {std::size_t{0}, std::size_t{5}, 3 * engine_t::lanes + 7, std::size_t{1001}}) {
    std::vector<float> xs(2 * n), ys(n);
    for (float& v : xs) v = float(u(rng));
    for (float& v : ys) v = float(u(rng));
    engine_t single;
    params<decltype(every_op), float> G1;
    const float L1 = single.value_and_grad_into(P, G1, n, bind<"x">(aos(xs)), bind<"y">(ys));
    for (const std::size_t threads : {1, 2, 3}) {
      INFO("n = " << n << ", threads = " << threads);
      parallel_batch_engine<decltype(every_op), params<decltype(every_op), float>> engine(threads);
      CHECK(engine.threads() == threads);
      params<decltype(every_op), float> Ga, Gb;
      Ga.fill(9);  // overwritten
      const float La = engine.value_and_grad_into(P, Ga, n, bind<"x">(aos(xs)), bind<"y">(ys));
      const float Lb = engine.value_and_grad_into(P, Gb, n, bind<"x">(aos(xs)), bind<"y">(ys));
      CHECK(La == Lb);
      CHECK(Ga == Gb);
      CHECK(La == doctest::Approx(L1).epsilon(1e-5).scale(double(n) + 1));
      for (std::size_t k = 0; k < Ga.size(); ++k)
        CHECK(Ga.data()[k] == doctest::Approx(G1.data()[k]).epsilon(1e-5).scale(double(n) + 1));
      if (threads == 1) {
        CHECK(La == L1);  // one thread is the single engine, bit for bit
        CHECK(Ga == G1);
      }
      if (n > 0) {
        params<decltype(every_op), float> Gm;
        const float Lm = engine.value_and_grad_into(P, Gm, n, mean_over_batch, bind<"x">(aos(xs)), bind<"y">(ys));
        CHECK(Lm == doctest::Approx(La / float(n)).epsilon(1e-5));
      }
    }
  }
  // A size error throws on the calling thread and leaves G alone.
  parallel_batch_engine<decltype(every_op), params<decltype(every_op), float>> engine(2);
  params<decltype(every_op), float> G;
  G.fill(4);
  const auto before = G;
  const std::vector<float> xs(20), ys(9);
  CHECK_THROWS_AS(engine.value_and_grad_into(P, G, 10, bind<"x">(xs), bind<"y">(ys)), shape_error);
  CHECK(G == before);
}
