// fit_classifier with one infinite feature (issue 11, part 3): it trained
// every epoch on -nan and ended with most parameters NaN. Now it stops at
// the first minibatch holding the sample, with a numeric_error naming the
// input, the element and the training sample; the parameters are those
// of the steps before. Without the check, the optimizer refuses the
// non-finite steps and the parameters stay finite.

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

namespace {

constexpr std::size_t features = 3, classes = 2;
constexpr auto logits = input<"x", vec<features>> | nn::dense<"fc", 4> | nn::relu | nn::dense<"out", classes>;
constexpr auto loss = nn::softmax_cross_entropy(logits, input<"y", vec<classes>>);
using parameters = params<decltype(loss), float>;

data::labeled_data samples(std::size_t n) {
  data::labeled_data d;
  d.features = features;
  d.classes = classes;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < features; ++f) d.x.push_back(float((i * 7 + f * 3) % 11) / 11.0f - 0.5f);
    d.labels.push_back(int(i % classes));
  }
  return d;
}

bool all_finite(const parameters& P) {
  for (std::size_t k = 0; k < P.size(); ++k)
    if (!std::isfinite(P.data()[k])) return false;
  return true;
}

}  // namespace

TEST_CASE("fit_classifier stops at an infinite feature with numeric_error naming the input") {
  const std::size_t bad_sample = 45, bad_feature = 2;
  auto train = samples(100);
  train.x[bad_sample * features + bad_feature] = std::numeric_limits<float>::infinity();
  const auto test = samples(20);
  for (std::size_t threads : {1u, 2u}) {
    CAPTURE(threads);
    parameters P;
    init::initialize(P, init::he_normal, 7);
    adam<parameters> optimizer({.lr = 1e-2});
    try {
      (void)train::fit_classifier(loss, logits, P, optimizer, train, test,
                                  {.epochs = 3, .batch_size = 16, .threads = threads});
      FAIL("no numeric_error");
    } catch (const numeric_error& e) {
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(m.find("input 'x'") != std::string::npos);
      CHECK(m.find("element 2") != std::string::npos);
      CHECK(m.find("training sample 45") != std::string::npos);
      CHECK(m.find("epoch 1") != std::string::npos);
      CHECK(e.sample() == bad_sample);
      CHECK(!e.in_gradient());
    }
    CHECK(all_finite(P));
  }
}

TEST_CASE("fit_classifier with check_finite = false: the optimizer skips the bad steps") {
  auto train = samples(100);
  train.x[10 * features] = -std::numeric_limits<float>::infinity();
  const auto test = samples(20);
  parameters P;
  init::initialize(P, init::he_normal, 7);
  adam<parameters> optimizer({.lr = 1e-2});
  (void)train::fit_classifier(loss, logits, P, optimizer, train, test,
                              {.epochs = 3, .batch_size = 16, .check_finite = false});
  CHECK(optimizer.skipped_steps() == 3);  // the one minibatch per epoch holding sample 10
  CHECK(optimizer.steps() == 3 * 7 - 3);
  CHECK(all_finite(P));
}

TEST_CASE("fit_classifier on finite data is not changed by the check") {
  const auto train = samples(64), test = samples(16);
  parameters P1, P2;
  init::initialize(P1, init::he_normal, 3);
  P2 = P1;
  adam<parameters> o1({.lr = 1e-2}), o2({.lr = 1e-2});
  (void)train::fit_classifier(loss, logits, P1, o1, train, test, {.epochs = 2, .batch_size = 8});
  (void)train::fit_classifier(loss, logits, P2, o2, train, test, {.epochs = 2, .batch_size = 8, .check_finite = false});
  CHECK(P1 == P2);
}
