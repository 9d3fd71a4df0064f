// fit_classifier's checks of its inputs (issue 11, part 2). A hand-built
// labeled_data with a label >= the class count made fit_classifier write
// past its one-hot buffer (or silently set the next sample's label), one
// whose x is shorter than labels × features made it read past x, and a
// huge batch_size wrapped the minibatch buffer's size (batch_size ·
// features) to a few numbers. Each is now refused, or handled, before
// anything is written: the parameters and the optimizer stay untouched.
// Under -Db_sanitize=address the cases below fail without the checks.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/check_data.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

namespace {

constexpr std::size_t features = 2, classes = 3;
constexpr auto logits = input<"x", vec<features>> | nn::dense<"out", classes>;
constexpr auto loss = nn::softmax_cross_entropy(logits, input<"y", vec<classes>>);
using parameters = params<decltype(loss), float>;

// Samples i = 0 .. n-1 with features (i, -i) / n and label i % classes.
data::labeled_data samples(std::size_t n) {
  data::labeled_data d;
  d.features = features;
  d.classes = classes;
  for (std::size_t i = 0; i < n; ++i) {
    d.x.push_back(float(i) / float(n));
    d.x.push_back(-float(i) / float(n));
    d.labels.push_back(int(i % classes));
  }
  return d;
}

// Plain SGD that counts its steps.
struct counting_sgd {
  float lr = 0.1f;
  std::size_t steps = 0;
  template <class P>
  void step(P& p, const P& g) {
    ++steps;
    for (std::size_t k = 0; k < p.size(); ++k) p.data()[k] -= lr * g.data()[k];
  }
};

parameters start() {
  parameters P;
  for (std::size_t k = 0; k < P.size(); ++k) P.data()[k] = 0.01f * float(k + 1);
  return P;
}

bool same(const parameters& a, const parameters& b) {
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a.data()[k] != b.data()[k]) return false;
  return true;
}

// fit_classifier on (train, test) must throw data_error with `message` and
// leave the parameters and the optimizer untouched.
void refused(const data::labeled_data& train, const data::labeled_data& test, const std::string& message,
             std::size_t batch_size = 4) {
  parameters P = start();
  const parameters before = P;
  counting_sgd sgd;
  CHECK_THROWS_WITH_AS(train::fit_classifier(loss, logits, P, sgd, train, test,
                                             {.epochs = 2, .batch_size = batch_size}),
                       message.c_str(), data::data_error);
  CHECK(sgd.steps == 0);
  CHECK(same(P, before));
}

}  // namespace

TEST_CASE("fit_classifier refuses a label outside [0, classes), naming the sample and the label") {
  auto train = samples(10);
  train.labels[7] = int(classes);  // one past the last class: the next sample's one-hot entry, or past the buffer
  refused(train, samples(4), "tapeless: fit_classifier: training data: sample 7 has label 3, outside [0, 3)");

  train.labels[7] = 1000;
  refused(train, samples(4), "tapeless: fit_classifier: training data: sample 7 has label 1000, outside [0, 3)");

  train = samples(10);
  train.labels[0] = -1;
  refused(train, samples(4), "tapeless: fit_classifier: training data: sample 0 has label -1, outside [0, 3)");

  // Minibatches of one sample: the one-hot buffer is one row, so a label
  // of `classes` lands just past its end (heap-buffer-overflow under ASan).
  train = samples(8);
  train.labels[5] = int(classes);
  refused(train, samples(4), "tapeless: fit_classifier: training data: sample 5 has label 3, outside [0, 3)", 1);

  // The test set too, before the first training step.
  auto test = samples(4);
  test.labels[2] = 5;
  refused(samples(10), test, "tapeless: fit_classifier: test data: sample 2 has label 5, outside [0, 3)");
}

TEST_CASE("fit_classifier refuses x shorter (or longer) than labels x features") {
  auto train = samples(10);
  train.x.resize(train.x.size() - 1);  // was a read past the end of x
  refused(train, samples(4),
          "tapeless: fit_classifier: training data has 10 labels and 19 feature values; 10 samples of 2 features "
          "need 20");
  train = samples(10);
  train.labels.push_back(0);  // a label without its features
  refused(train, samples(4),
          "tapeless: fit_classifier: training data has 11 labels and 20 feature values; 11 samples of 2 features "
          "need 22");
  train = samples(10);
  train.x.push_back(1.f);
  refused(train, samples(4),
          "tapeless: fit_classifier: training data has 10 labels and 21 feature values; 10 samples of 2 features "
          "need 20");
  auto test = samples(4);
  test.x.clear();
  refused(samples(10), test,
          "tapeless: fit_classifier: test data has 4 labels and 0 feature values; 4 samples of 2 features need 8");
}

TEST_CASE("check_labeled_data: sizes by division, features and classes") {
  data::labeled_data d = samples(3);
  CHECK_NOTHROW(train::check_labeled_data(d, "d", features, classes));
  CHECK_THROWS_WITH_AS(train::check_labeled_data(d, "d", features + 1, classes),
                       "tapeless: d has 2 features and 3 classes; the network has 3 and 3", data::data_error);
  // labels × features would wrap around: the message says so instead of
  // printing a wrapped number.
  d.features = std::numeric_limits<std::size_t>::max() / 2 + 1;
  CHECK_THROWS_WITH_AS(
      train::check_labeled_data(d, "d", d.features, classes),
      ("tapeless: d has 3 labels and 6 feature values; 3 samples of " + std::to_string(d.features) +
       " features need more than " + std::to_string(std::numeric_limits<std::size_t>::max()))
          .c_str(),
      data::data_error);
}

TEST_CASE("fit_classifier with a batch_size whose buffer size would wrap around trains on one minibatch") {
  // batch_size · features wrapped to 0: the minibatch buffer was empty and
  // the first sample was written past it.
  constexpr std::size_t huge = std::numeric_limits<std::size_t>::max() / features + 1;
  static_assert(huge * features == 0);
  const auto train = samples(10), test = samples(4);
  parameters P = start(), Q = start();
  counting_sgd a, b;
  const auto h1 = train::fit_classifier(loss, logits, P, a, train, test, {.epochs = 2, .batch_size = huge});
  const auto h2 = train::fit_classifier(loss, logits, Q, b, train, test, {.epochs = 2, .batch_size = 10});
  CHECK(a.steps == 2);
  CHECK(b.steps == 2);
  CHECK(same(P, Q));
  CHECK(h1.back().mean_loss == h2.back().mean_loss);
}

TEST_CASE("the digits-style feature and class mismatch stays std::invalid_argument, naming the set") {
  parameters P = start();
  counting_sgd sgd;
  auto test = samples(4);
  test.classes = 4;
  CHECK_THROWS_WITH_AS(train::fit_classifier(loss, logits, P, sgd, samples(10), test, {.epochs = 1}),
                       "tapeless: fit_classifier: the test data has 2 features and 4 classes, the network 2 and 3",
                       std::invalid_argument);
  CHECK(sgd.steps == 0);
}
