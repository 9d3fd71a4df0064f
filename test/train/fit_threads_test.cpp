// fit_classifier with `.threads`: each minibatch's gradient split over a
// parallel_batch_engine. Same seed and thread count ⇒ same weights bit for
// bit; two threads agree with one thread up to float summation order and
// learn as well; threads = 0 is refused before anything is touched; a
// training step allocates nothing (global operator new is counted here).

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <stdexcept>
#include <tuple>

#include <doctest/doctest.h>

#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>

#include "fixtures.hpp"

namespace {
std::atomic<std::size_t> heap_allocations = 0;

void* counted_alloc(std::size_t n, std::size_t alignment) {
  ++heap_allocations;
  const std::size_t size = n == 0 ? alignment : (n + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, size)) return p;
  throw std::bad_alloc();
}
// Out of line: inlined into a delete expression, the free() of a pointer
// from the (replaced) operator new trips GCC's -Wmismatched-new-delete.
[[gnu::noinline]] void counted_free(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n) { return counted_alloc(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, std::size_t(a)); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

using namespace tapeless;

namespace {

constexpr std::size_t features = 8, classes = 3;
constexpr auto logits = input<"x", vec<features>> | nn::dense<"h", 16> | nn::relu | nn::dense<"out", classes>;
constexpr auto loss = nn::softmax_cross_entropy(logits, input<"y", vec<classes>>);
using parameters = params<decltype(loss), float>;

// Three Gaussian blobs in 8 dimensions, unit spread, class c's centre 2.5
// along axis c: separable up to a few percent.
data::labeled_data blobs(std::size_t n, std::uint32_t seed) {
  data::labeled_data d;
  d.features = features;
  d.classes = classes;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = int(i % classes);
    for (std::size_t f = 0; f < features; ++f)
      d.x.push_back(noise(rng) + (f == std::size_t(label) ? 2.5f : 0.0f));
    d.labels.push_back(label);
  }
  return d;
}

struct plain_sgd {
  float lr;
  template <class P>
  void step(P& p, const P& g) {
    for (std::size_t k = 0; k < p.size(); ++k) p.data()[k] -= lr * g.data()[k];
  }
};

// 600 training samples in minibatches of 128 (the last one 88): with two
// threads every minibatch is cut into two chunks of several sweeps each on
// every SIMD width up to 32 float lanes per sweep.
const data::labeled_data train_set = blobs(600, 11), test_set = blobs(300, 12);

auto fit(std::size_t threads, std::size_t batch_size = 128) {
  parameters P;
  fixtures::randomize(P, 5, 0.3);
  plain_sgd sgd{0.2f};
  const auto history = train::fit_classifier(loss, logits, P, sgd, train_set, test_set,
                                             {.epochs = 8, .batch_size = batch_size, .seed = 3, .threads = threads});
  return std::tuple{P, history};
}

// The largest mixed error (relative above 1, absolute below) over the weights.
double max_difference(const parameters& a, const parameters& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k)
    worst = std::max(worst, fixtures::mixed_error(double(a.data()[k]), double(b.data()[k])));
  return worst;
}

}  // namespace

TEST_CASE("fit_classifier with two threads: reproducible, as accurate as one thread, equal up to rounding") {
  const auto [P1, h1] = fit(1);
  const auto [P2, h2] = fit(2);
  const auto [P2again, h2again] = fit(2);
  CHECK(P2 == P2again);  // same seed and thread count: same weights, bit for bit
  CHECK(h2.back().mean_loss == h2again.back().mean_loss);

  // Different summation order only: the weights stay within a few float
  // roundings of each other over 8 epochs (measured: at most ~1e-7).
  const double difference = max_difference(P1, P2);
  MESSAGE("threads 2 vs 1: largest weight difference " << difference);
  CHECK(difference < 1e-5);
  CHECK(h2.back().mean_loss == doctest::Approx(h1.back().mean_loss).epsilon(1e-5));

  REQUIRE(h1.size() == 8);
  CHECK(h1.back().test_accuracy > 0.85);
  // As good as one thread: at most one test sample apart (a near-tie may flip).
  CHECK(h2.back().test_accuracy >= h1.back().test_accuracy - 1.0 / double(test_set.size()));
  CHECK(h2.back().train_accuracy >= h1.back().train_accuracy - 1.0 / double(train_set.size()));
}

TEST_CASE("fit_classifier with more threads than a minibatch has sweeps") {
  // 16 samples per minibatch over 5 threads: with 16 or more lanes per
  // sweep (AVX2, AVX-512) one chunk holds the whole minibatch and the other
  // threads get empty chunks.
  const auto [P1, h1] = fit(1, 16);
  const auto [P5, h5] = fit(5, 16);
  const auto [P5again, h5again] = fit(5, 16);
  CHECK(P5 == P5again);
  CHECK(max_difference(P1, P5) < 1e-5);
  CHECK(h5.back().test_accuracy >= h1.back().test_accuracy - 1.0 / double(test_set.size()));
}

TEST_CASE("fit_classifier refuses threads = 0 before touching anything") {
  parameters P;
  fixtures::randomize(P, 5, 0.3);
  const auto before = P;
  plain_sgd sgd{0.2f};
  CHECK_THROWS_WITH_AS(train::fit_classifier(loss, logits, P, sgd, train_set, test_set, {.epochs = 1, .threads = 0}),
                       "tapeless: fit_classifier: threads must be >= 1 (1 trains on the calling thread)",
                       std::invalid_argument);
  CHECK(P == before);
}

TEST_CASE("fit_classifier with two threads allocates nothing per training step") {
  // Twice the training samples, twice the steps: the same number of
  // allocations (the engine, its workers and the buffers once per call, the
  // shuffled order and the report once per epoch).
  const data::labeled_data twice = blobs(1200, 13);
  auto allocations = [&](const data::labeled_data& d) {
    parameters P;
    fixtures::randomize(P, 5, 0.3);
    plain_sgd sgd{0.2f};
    const std::size_t before = heap_allocations;
    train::fit_classifier(loss, logits, P, sgd, d, test_set, {.epochs = 2, .batch_size = 128, .threads = 2});
    return heap_allocations - before;
  };
  const std::size_t once = allocations(train_set), doubled = allocations(twice);
  CHECK(once > 0);  // the counter sees the call's own allocations
  CHECK(doubled == once);
}
