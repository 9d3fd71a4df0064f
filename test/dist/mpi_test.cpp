// dist/mpi.hpp and training on a group of processes, with real processes:
// meson runs this file under `mpirun -n 2` and `mpirun -n 3` (uneven
// shards). Every process runs every test case; the exit status is the
// worst of all processes'.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/dist/mpi.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/train/fit.hpp>
#include <vector>

using namespace tapeless;

namespace {

// The digits MLP of the examples: 64 pixels, 64 ReLU units, 10 logits.
constexpr auto x = input<"x", vec<64>>;
constexpr auto label = input<"y", class_index<10>>;
constexpr auto logits = x | nn::dense<"fc1", 64> | nn::relu | nn::dense<"out", 10>;
constexpr auto loss = nn::softmax_cross_entropy(logits, label);
using parameters = params<decltype(loss), float>;

const data::split_data& digits() {
  static const data::split_data parts = [] {
    auto d = data::read_labeled_csv(TAPELESS_DIGITS_CSV, 64, 10);
    data::scale_features(d, 1.0f / 16);
    return data::split(d, 0.8, 2026);
  }();
  return parts;
}

// An optimizer that checks, after every step, that every process holds the
// same parameters.
template <class Optimizer>
struct checked_steps {
  Optimizer& optimizer;
  dist::communicator& comm;
  std::size_t steps = 0;
  template <class P, class G>
  void step(P& params, const G& gradient) {
    optimizer.step(params, gradient);
    dist::check_identical(params, comm);
    ++steps;
  }
};

struct digits_run {
  std::unique_ptr<parameters> P = std::make_unique<parameters>();
  std::vector<train::epoch_report> history;
  std::size_t steps = 0;
};

constexpr train::fit_options digits_options{.epochs = 3, .batch_size = 32, .seed = 7};

digits_run train_digits(dist::communicator* comm) {
  digits_run run;
  init::initialize(*run.P, init::he_normal, 42);
  adam<parameters> optimizer({.lr = 3e-3});
  if (comm) {
    checked_steps<adam<parameters>> checked{optimizer, *comm};
    run.history = train::fit_classifier(loss, logits, *run.P, checked, digits().train, digits().test, digits_options,
                                        *comm);
    run.steps = checked.steps;
  } else {
    run.history = train::fit_classifier(loss, logits, *run.P, optimizer, digits().train, digits().test, digits_options);
  }
  return run;
}

// Numbers that depend on the process and the position, of very different
// sizes, so that the order of the additions shows in the bits.
template <class T>
T contribution(std::size_t rank, std::size_t k) {
  const double big = (k + rank) % 3 == 0 ? 1e7 : 1.0;
  return T(big * (0.1 + double(rank) * 0.37 + double(k % 11) * 0.013));
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace

TEST_CASE_TEMPLATE("allreduce_sum adds the processes' numbers in rank order, with the same bits everywhere", T, float,
                   double) {
  dist::communicator comm;
  for (const std::size_t n : {0u, 1u, 2u, 3u, 5u, 1000u, 4097u}) {
    CAPTURE(n);
    std::vector<T> data(n);
    for (std::size_t k = 0; k < n; ++k) data[k] = contribution<T>(comm.rank(), k);
    comm.allreduce_sum(std::span<T>(data));
    bool all_equal = true;
    for (std::size_t k = 0; k < n; ++k) {
      T expected = contribution<T>(0, k);
      for (std::size_t r = 1; r < comm.size(); ++r) expected += contribution<T>(r, k);
      all_equal = all_equal && same_bits(data[k], expected);
    }
    CHECK(all_equal);
  }
}

TEST_CASE("allreduce_mean, broadcast and check_identical on a parameter buffer") {
  dist::communicator comm;
  REQUIRE(comm.size() >= 2);
  const std::size_t last = comm.size() - 1;
  auto P = std::make_unique<parameters>();
  for (std::size_t k = 0; k < P->size(); ++k) P->data()[k] = float(comm.rank() + 1) * 0.5f;

  SUBCASE("allreduce_mean") {
    dist::allreduce_mean(*P, comm);
    const float n = float(comm.size());
    CHECK(P->data()[0] == doctest::Approx((n + 1) / 4));
    CHECK(P->data()[P->size() - 1] == doctest::Approx((n + 1) / 4));
  }

  SUBCASE("broadcast from the last process, then all identical") {
    dist::broadcast(*P, last, comm);
    CHECK(P->data()[0] == float(last + 1) * 0.5f);
    CHECK(P->data()[P->size() - 1] == float(last + 1) * 0.5f);
    CHECK_NOTHROW(dist::check_identical(*P, comm));
    CHECK_THROWS_AS(dist::broadcast(*P, comm.size(), comm), std::invalid_argument);
  }

  SUBCASE("one differing number is found, named and reported on every process") {
    dist::broadcast(*P, 0, comm);
    if (comm.rank() == last) P->get<"fc1.W">()(1, 2) = 0.25f;  // process 0 has 0.5
    try {
      dist::check_identical(*P, comm);
      FAIL_CHECK("no mismatch reported");
    } catch (const dist::mismatch_error& e) {
      CHECK(e.process() == last);
      CHECK(e.parameter() == "fc1.W[1, 2]");
      CHECK(std::string(e.what()) ==
            "tapeless: dist::check_identical: process " + std::to_string(last) +
                "'s parameters differ from process 0's, first at fc1.W[1, 2]: 0.5 on process 0, 0.25 on process " +
                std::to_string(last));
    }
  }

  SUBCASE("a sign of zero is a difference") {
    for (std::size_t k = 0; k < P->size(); ++k) P->data()[k] = 0.0f;
    if (comm.rank() == 1) P->get<"out.b">()[3] = -0.0f;
    CHECK_THROWS_WITH_AS(dist::check_identical(*P, comm), doctest::Contains("first at out.b[3]"),
                         dist::mismatch_error);
  }
}

TEST_CASE("the digits MLP trained on the processes: identical everywhere, and as on one process") {
  dist::communicator comm;
  const digits_run spread = train_digits(&comm);
  // The same minibatches and steps: 3 epochs of 45 minibatches.
  const std::size_t n = digits().train.size();
  CHECK(spread.steps == 3 * ((n + 31) / 32));

  // The same run again: the same bits.
  const digits_run again = train_digits(&comm);
  CHECK(std::memcmp(spread.P->data(), again.P->data(), parameters::size() * sizeof(float)) == 0);

  // One process over the same global minibatches: the same up to the order
  // of the float sums (each process's shard sum, then the processes' sum).
  const digits_run alone = train_digits(nullptr);
  double largest = 0, weight = 0;
  for (std::size_t k = 0; k < parameters::size(); ++k) {
    largest = std::max(largest, double(std::abs(spread.P->data()[k] - alone.P->data()[k])));
    weight = std::max(weight, double(std::abs(alone.P->data()[k])));
  }
  if (comm.rank() == 0)
    MESSAGE(comm.size() << " processes vs 1: largest weight difference " << largest << " (weights up to " << weight
                        << "), test accuracy " << spread.history.back().test_accuracy << " vs "
                        << alone.history.back().test_accuracy);
  CHECK(largest < 1e-4);
  CHECK(std::abs(spread.history.back().mean_loss - alone.history.back().mean_loss) < 1e-4);
  CHECK(spread.history.back().test_accuracy == doctest::Approx(alone.history.back().test_accuracy).epsilon(0.01));
  CHECK(spread.history.back().test_accuracy > 0.9);
  // Accuracies are counted on shards and added: exact fractions of the sets.
  const double tested = spread.history.back().test_accuracy * double(digits().test.size());
  CHECK(tested == doctest::Approx(std::round(tested)).epsilon(1e-12));
}

TEST_CASE("train::fit on the processes: any loss, uneven shards, the evaluation hook on every process") {
  dist::communicator comm;
  // y = 2 x0 - x1 + 0.5, 101 samples, minibatches of 10 (the last of 1):
  // minibatches smaller than the number of processes leave some without a
  // sample.
  constexpr auto xin = input<"x", vec<2>>;
  constexpr auto target = input<"y", vec<1>>;
  constexpr auto fit_loss = nn::half_squared_error(xin | nn::dense<"lin", 1>, target);
  using P2 = params<decltype(fit_loss), double>;
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < 101; ++i) {
    const double a = std::sin(double(i)), b = std::cos(3.0 * double(i));
    xs.insert(xs.end(), {a, b});
    ys.push_back(2 * a - b + 0.5);
  }
  const auto data = train::samples(train::column<"x">(xs), train::column<"y">(ys));
  const train::fit_options options{.epochs = 20, .batch_size = 10, .seed = 3};
  const auto run = [&](auto& group, std::size_t threads = 1) {
    P2 P;
    init::initialize(P, init::he_normal, 5);
    sgd<P2> optimizer({.lr = 0.1});
    std::size_t evaluations = 0;
    train::fit_options with_threads = options;
    with_threads.threads = threads;
    const auto history = train::fit(fit_loss, P, optimizer, data, with_threads,
                                    [&](train::epoch_report&) { ++evaluations; }, group);
    CHECK(evaluations == options.epochs);
    return std::make_pair(P, history.back().mean_loss);
  };
  train::single_process one;
  const auto [spread, spread_loss] = run(comm);
  const auto [alone, alone_loss] = run(one);
  for (std::size_t k = 0; k < P2::size(); ++k) CHECK(spread.data()[k] == doctest::Approx(alone.data()[k]).epsilon(1e-12));
  CHECK(spread_loss == doctest::Approx(alone_loss).epsilon(1e-9));
  CHECK(spread.get<"lin.W">()(0, 0) == doctest::Approx(2).epsilon(0.01));
  // Each process's shard on 2 threads of its own (only the calling thread
  // talks to MPI): the same up to the grouping of the sums.
  const auto [threaded, threaded_loss] = run(comm, 2);
  for (std::size_t k = 0; k < P2::size(); ++k)
    CHECK(threaded.data()[k] == doctest::Approx(alone.data()[k]).epsilon(1e-12));
  CHECK(threaded_loss == doctest::Approx(alone_loss).epsilon(1e-9));
}

TEST_CASE("a sequence model (a GRU) trained on the processes as on one") {
  dist::communicator comm;
  constexpr std::size_t H = 3, T = 5, n = 37;
  constexpr auto step_input = input<"x", vec<1>>;
  constexpr auto state = input<"s", vec<H>>;
  constexpr auto model = sequence(nn::gru_cell<"gru", H>(step_input, state),
                                  on_last_state(nn::softmax_cross_entropy(nn::dense<"out", 2>(state),
                                                                          input<"y", class_index<2>>)));
  using P3 = decltype(model)::params_type<float>;
  std::vector<float> xs(n * T), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    float total = 0;
    for (std::size_t t = 0; t < T; ++t) total += xs[i * T + t] = std::sin(float(7 * i + t));
    ys[i] = total > 0 ? 1.0f : 0.0f;
  }
  const auto data = train::samples(train::sequences<"x">(xs, T), train::column<"y">(ys));
  const train::fit_options options{.epochs = 4, .batch_size = 8, .seed = 2};
  const auto run = [&](auto& group) {
    auto P = std::make_unique<P3>();
    init::initialize(*P, init::glorot_uniform, 4);
    adam<P3> optimizer({.lr = 1e-2});
    const auto history = train::fit(model, *P, optimizer, data, options, train::no_evaluation{}, group);
    return std::make_pair(std::move(P), history.back().mean_loss);
  };
  train::single_process one;
  const auto [spread, spread_loss] = run(comm);
  const auto [alone, alone_loss] = run(one);
  dist::check_identical(*spread, comm);
  double largest = 0;
  for (std::size_t k = 0; k < P3::size(); ++k)
    largest = std::max(largest, double(std::abs(spread->data()[k] - alone->data()[k])));
  CHECK(largest < 1e-5);
  CHECK(spread_loss == doctest::Approx(alone_loss).epsilon(1e-5));
}

TEST_CASE("processes given different things all stop before training") {
  dist::communicator comm;
  auto P = std::make_unique<parameters>();
  init::initialize(*P, init::he_normal, 42);
  adam<parameters> optimizer({.lr = 3e-3});
  const train::fit_options options{.epochs = 1, .batch_size = 32, .seed = 7};

  SUBCASE("different parameters") {
    if (comm.rank() == 1) P->data()[7] += 1;
    const auto before = *P;
    CHECK_THROWS_WITH_AS(
        train::fit_classifier(loss, logits, *P, optimizer, digits().train, digits().test, options, comm),
        doctest::Contains("start from different parameters"), std::invalid_argument);
    CHECK(std::memcmp(P->data(), before.data(), parameters::size() * sizeof(float)) == 0);
  }
  SUBCASE("different data") {
    data::labeled_data mine = digits().train;
    if (comm.rank() == 1) mine.x[100] += 0.5f;
    CHECK_THROWS_WITH_AS(train::fit_classifier(loss, logits, *P, optimizer, mine, digits().test, options, comm),
                         doctest::Contains("different training data or options"), std::invalid_argument);
  }
  SUBCASE("different options") {
    train::fit_options other = options;
    if (comm.rank() == comm.size() - 1) other.seed = 8;
    CHECK_THROWS_WITH_AS(train::fit_classifier(loss, logits, *P, optimizer, digits().train, digits().test, other, comm),
                         doctest::Contains("different training data or options"), std::invalid_argument);
  }
}

TEST_CASE("a NaN in one process's shard stops every process; that process names the sample") {
  dist::communicator comm;
  auto P = std::make_unique<parameters>();
  init::initialize(*P, init::he_normal, 42);
  adam<parameters> optimizer({.lr = 3e-3});
  data::labeled_data bad = digits().train;
  const std::size_t sample = 123;
  bad.x[sample * 64 + 5] = std::nanf("");
  bool named = false;
  try {
    train::fit_classifier(loss, logits, *P, optimizer, bad, digits().test, {.epochs = 1, .batch_size = 32, .seed = 7},
                          comm);
    FAIL_CHECK("the NaN was not reported");
  } catch (const numeric_error& e) {
    const std::string what = e.what();
    named = what.find("training sample " + std::to_string(sample) + ", process " + std::to_string(comm.rank())) !=
            std::string::npos;
    if (!named) CHECK(what.find("on another process") != std::string::npos);
  }
  // Exactly one process held the sample.
  std::vector<std::uint64_t> who = comm.allgather(named ? 1 : 0);
  CHECK(std::count(who.begin(), who.end(), 1u) == 1);
}

int main(int argc, char** argv) {
  tapeless::dist::environment mpi(argc, argv);
  doctest::Context context(argc, argv);
  int failed = context.run();
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}
