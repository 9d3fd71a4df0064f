// Trains the MLP digits classifier of train_digits on several processes
// with MPI (dist/mpi.hpp): every process reads the whole data set, trains
// on its shard of every minibatch, and one sum of the gradient buffer per
// step keeps the parameters identical everywhere.
//
//   mpiexec -n 2 train_digits_mpi [--epochs N] [--data path/to/digits.csv] [--batch B] [--threads T]
//
// Process 0 prints the progress lines, then medians over the epochs: the
// training samples per second (all processes together; the optimizer steps
// included, the accuracy evaluation not), the share of the training time
// spent in the gradient sums (waiting for the other processes included)
// and that time per step; last the test accuracy.
// The other processes print nothing. Run with `-n 1` for the baseline.

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <tapeless/dist/mpi.hpp>
#include <vector>

#include "digits_mlp.hpp"

int main(int argc, char** argv) {
  namespace dist = tapeless::dist;
  dist::environment mpi(argc, argv);
  const auto args = digits_mlp::parse_command_line(argc, argv);
  const std::size_t batch = digits_mlp::count_flag(argc, argv, "--batch", 32);
  const std::size_t threads = digits_mlp::count_flag(argc, argv, "--threads", 1);
  try {
    dist::communicator world;
    const bool first = world.rank() == 0;
    auto digits = tapeless::data::read_labeled_csv(args.data, 64, 10);
    tapeless::data::scale_features(digits, digits_mlp::pixel_scale);
    const auto parts = tapeless::data::split(digits, 0.8, 2026);
    if (first)
      std::printf("digits: %zu training and %zu test samples, %zu processes, minibatches of %zu\n",
                  parts.train.size(), parts.test.size(), world.size(), batch);

    // Process 0's initialization, sent to all (the same seed everywhere
    // would do as well: fit checks that every process starts alike).
    digits_mlp::parameters P;
    tapeless::init::initialize(P, tapeless::init::he_normal, 42);
    dist::broadcast(P, 0, world);
    tapeless::adam<digits_mlp::parameters> optimizer({.lr = 3e-3});
    const auto history = tapeless::train::fit_classifier(
        digits_mlp::loss, digits_mlp::logits, P, optimizer, parts.train, parts.test,
        {.epochs = args.epochs, .batch_size = batch, .seed = 1, .progress = &std::cout, .threads = threads},
        world);
    dist::check_identical(P, world);  // never throws after fit: the same steps everywhere

    // Medians over the epochs: an epoch interrupted by another program
    // would weigh on a sum or a mean.
    const std::size_t steps = (parts.train.size() + batch - 1) / batch;
    std::vector<double> rates, shares, per_step;
    for (const auto& r : history) {
      const double training = r.samples_per_second > 0 ? double(parts.train.size()) / r.samples_per_second : 0;
      rates.push_back(r.samples_per_second);
      shares.push_back(training > 0 ? r.communication_seconds / training : 0);
      per_step.push_back(r.communication_seconds / double(steps));
    }
    const auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.empty() ? 0.0 : v[v.size() / 2];
    };
    if (first && !history.empty()) {
      std::printf("training samples/s (median over epochs): %.0f on %zu processes; in the gradient sums: %.1f%% of "
                  "the training time, %.1f us per step\n",
                  median(rates), world.size(), 100 * median(shares), 1e6 * median(per_step));
      std::printf("test accuracy %.2f%%\n", 100 * history.back().test_accuracy);
    }
    return 0;
  } catch (const std::exception& e) {
    // An error met by one process only would leave the others waiting in
    // their next sum: stop them all.
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "process %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
}
