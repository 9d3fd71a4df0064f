// Trains an MLP on the UCI handwritten digits (8×8 images, 10 classes) with
// Adam, printing one progress line per epoch, then saves nothing and
// reports the test accuracy on a fixed 80/20 split.
//
//   train_digits [--epochs N] [--data path/to/digits.csv] [--threads T] [--batch B]
//
// The network, the data pipeline and the training run are in
// digits_mlp.hpp, shared with fgsm_digits. That run is on one thread.
// Then the same training is timed on 1 and on T threads (default 2) with
// minibatches of B samples (default 32, the run's): the median over the
// epochs of the training samples per second (the optimizer steps included,
// the per-epoch accuracy evaluation not), and how far the T-thread weights
// end from the 1-thread ones. The last line is the checked run's test
// accuracy.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <vector>

#include "digits_mlp.hpp"

namespace {

struct timing_options {
  std::size_t threads = 2;
  std::size_t batch = 32;
};

timing_options parse_timing_options(int argc, char** argv) {
  timing_options out;
  out.threads = digits_mlp::count_flag(argc, argv, "--threads", out.threads);
  out.batch = digits_mlp::count_flag(argc, argv, "--batch", out.batch);
  return out;
}

struct timed_run {
  std::unique_ptr<digits_mlp::parameters> P = std::make_unique<digits_mlp::parameters>();
  std::vector<tapeless::train::epoch_report> history;
};

// The run of digits_mlp::train with a thread count and minibatch size.
timed_run train_timed(const tapeless::data::split_data& parts, std::size_t epochs, std::size_t threads,
                      std::size_t batch) {
  timed_run r;
  tapeless::init::initialize(*r.P, tapeless::init::he_normal, 42);
  tapeless::adam<digits_mlp::parameters> optimizer({.lr = 3e-3});
  r.history = tapeless::train::fit_classifier(digits_mlp::loss, digits_mlp::logits, *r.P, optimizer, parts.train,
                                              parts.test,
                                              {.epochs = epochs, .batch_size = batch, .seed = 1, .threads = threads});
  return r;
}

double median_samples_per_second(const std::vector<tapeless::train::epoch_report>& history) {
  std::vector<double> v;
  for (const auto& r : history) v.push_back(r.samples_per_second);
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = digits_mlp::parse_command_line(argc, argv);
  const auto timing = parse_timing_options(argc, argv);
  try {
    const auto parts = digits_mlp::load_split(args.data);
    digits_mlp::parameters P;
    const auto history = digits_mlp::train(P, parts, args.epochs, &std::cout);

    const timed_run one = train_timed(parts, args.epochs, 1, timing.batch);
    const timed_run many = train_timed(parts, args.epochs, timing.threads, timing.batch);
    double difference = 0;
    for (std::size_t k = 0; k < P.size(); ++k)
      difference = std::max(difference, double(std::abs(many.P->data()[k] - one.P->data()[k])));
    std::printf("training samples/s (median over epochs), minibatches of %zu: 1 thread %.0f, %zu threads %.0f\n",
                timing.batch, median_samples_per_second(one.history), timing.threads,
                median_samples_per_second(many.history));
    std::printf("%zu threads vs 1: largest weight difference %.3g, test accuracy %.2f%% vs %.2f%%\n",
                timing.threads, difference, 100 * many.history.back().test_accuracy,
                100 * one.history.back().test_accuracy);

    std::printf("test accuracy %.2f%%\n", 100 * history.back().test_accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
