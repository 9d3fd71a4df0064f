// parallel_batch_engine: its result is the documented sum (chunk gradients
// added in chunk order, whichever thread ran a chunk), bit for bit, for
// small and large parameter sets (the final sum in one piece and split
// over threads); calls back to back and after the workers went to sleep;
// engines started and stopped in quick succession (a lost wake-up or a
// missed stop would hang here).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/parallel_batch.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

// A small network (a few hundred parameters: the final sum in one piece),
// a large one (about 21k: the sum split over the threads), and elementwise
// ops only.
constexpr auto small_logits = input<"x", vec<16>> | nn::dense<"h", 16> | nn::relu | nn::dense<"out", 4>;
constexpr auto small_loss = nn::softmax_cross_entropy(small_logits, input<"y", vec<4>>);
constexpr auto large_logits = input<"x", vec<16>> | nn::dense<"h", 1000> | nn::tanh | nn::dense<"out", 4>;
constexpr auto large_loss = nn::softmax_cross_entropy(large_logits, input<"y", vec<4>>);
constexpr auto elementwise_loss = sum(tanh(param<"w", vec<16>> * input<"x", vec<16>> + param<"b", vec<16>>)) +
                                  dot(param<"v", vec<4>>, input<"y", vec<4>>);

template <class Loss>
struct problem {
  using parameters = params<Loss, float>;
  std::unique_ptr<parameters> P = std::make_unique<parameters>();
  std::vector<float> xs, ys;

  explicit problem(std::size_t n_max, unsigned seed) : xs(n_max * 16), ys(n_max * 4, 0.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    for (float& p : P->span()) p = 0.3f * u(rng);
    for (float& v : xs) v = u(rng);
    for (std::size_t s = 0; s < n_max; ++s) ys[s * 4 + s % 4] = 1;
  }
  auto x(std::size_t first, std::size_t n) const {
    return bind<"x">(aos(std::span<const float>(xs).subspan(first * 16, n * 16)));
  }
  auto y(std::size_t first, std::size_t n) const {
    return bind<"y">(aos(std::span<const float>(ys).subspan(first * 4, n * 4)));
  }
};

// The documented result for T threads: n cut into chunks of ceil(n / T)
// rounded up to whole sweeps; each chunk's gradient from one engine on its
// samples alone; chunk gradients and losses added in chunk order.
template <class Loss, std::size_t Pack>
float expected(const problem<Loss>& p, std::size_t n, std::size_t T, typename problem<Loss>::parameters& G) {
  using parameters = typename problem<Loss>::parameters;
  using engine_t = batch_engine<Loss, parameters, Pack>;
  const auto engine = std::make_unique<engine_t>();
  const std::size_t lanes = engine_t::lanes;
  const std::size_t chunk = ((n + T - 1) / T + lanes - 1) / lanes * lanes;
  if (chunk == 0 || chunk >= n) return engine->value_and_grad_into(*p.P, G, n, p.x(0, n), p.y(0, n));
  const auto part = std::make_unique<parameters>();
  float loss = 0;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t m = std::min(chunk, n - first);
    const float l = engine->value_and_grad_into(*p.P, *part, m, p.x(first, m), p.y(first, m));
    if (first == 0) {
      G = *part;
      loss = l;
    } else {
      for (std::size_t k = 0; k < G.size(); ++k) G.data()[k] += part->data()[k];
      loss += l;
    }
  }
  return loss;
}

template <class Loss, std::size_t Pack>
void check_documented_sum(const problem<Loss>& p, std::size_t n_max) {
  using parameters = typename problem<Loss>::parameters;
  using engine_t = batch_engine<Loss, parameters, Pack>;
  const std::size_t lanes = engine_t::lanes;
  for (const std::size_t T : {1, 2, 3, 4}) {
    parallel_batch_engine<Loss, parameters, Pack> engine(T);
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, lanes, lanes + 1, 2 * lanes, 3 * lanes + 5,
                                7 * lanes + 3, n_max}) {
      if (n > n_max) continue;
      INFO("threads = " << T << ", n = " << n << ", lanes = " << lanes);
      const auto want = std::make_unique<parameters>(), got = std::make_unique<parameters>();
      const float L_want = expected<Loss, Pack>(p, n, T, *want);
      for (int repeat = 0; repeat < 3; ++repeat) {
        got->fill(7);  // overwritten
        const float L_got = engine.value_and_grad_into(*p.P, *got, n, p.x(0, n), p.y(0, n));
        CHECK(L_got == L_want);
        CHECK(*got == *want);
        // The second repeat after a pause longer than the workers' spin:
        // they are asleep and must be woken.
        if (repeat == 1) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }
}

}  // namespace

TEST_CASE("parallel_batch_engine: the chunk gradients added in chunk order, bit for bit") {
  SUBCASE("small parameter set, one register per sweep") {
    const problem<decltype(small_loss)> p(300, 1);
    check_documented_sum<decltype(small_loss), 1>(p, 300);
  }
  SUBCASE("elementwise ops, one register per sweep") {
    const problem<decltype(elementwise_loss)> p(300, 1);
    check_documented_sum<decltype(elementwise_loss), 1>(p, 300);
  }
  SUBCASE("small parameter set, two registers per sweep") {
    const problem<decltype(small_loss)> p(300, 2);
    check_documented_sum<decltype(small_loss), 2>(p, 300);
  }
  SUBCASE("large parameter set: the final sum split over the threads") {
    const problem<decltype(large_loss)> p(200, 3);
    REQUIRE(params<decltype(large_loss), float>::size() > 16384);
    check_documented_sum<decltype(large_loss), 2>(p, 200);
  }
}

TEST_CASE("parallel_batch_engine: many calls back to back, and engines started and stopped in quick succession") {
  using parameters = params<decltype(small_loss), float>;
  const problem<decltype(small_loss)> p(256, 4);
  const auto want = std::make_unique<parameters>(), got = std::make_unique<parameters>();
  for (const std::size_t T : {2, 3}) {
    parallel_batch_engine<decltype(small_loss), parameters, 2> engine(T);
    const float L = engine.value_and_grad_into(*p.P, *want, 256, p.x(0, 256), p.y(0, 256));
    bool same = true;
    for (int call = 0; call < 2000; ++call) {
      // Sizes alternate between a single chunk (run on the caller alone)
      // and several chunks.
      const std::size_t n = call % 3 == 0 ? 1 : 256;
      const float l = engine.value_and_grad_into(*p.P, *got, n, p.x(0, n), p.y(0, n));
      if (n == 256) same = same && l == L && *got == *want;
    }
    CHECK(same);
  }
  for (int round = 0; round < 200; ++round) {
    parallel_batch_engine<decltype(small_loss), parameters, 2> engine(std::size_t(2 + round % 3));
    if (round % 2 == 0) engine.value_and_grad_into(*p.P, *got, 256, p.x(0, 256), p.y(0, 256));
    if (round % 5 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  CHECK(true);  // reached: every engine stopped
}
