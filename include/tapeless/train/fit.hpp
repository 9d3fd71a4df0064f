#pragma once
// Training: epochs of shuffled minibatches through the SIMD batch path, an
// optimizer step per minibatch, a progress line per epoch.
//
// Any scalar loss, on a data set of named per-sample arrays (one column
// per input of the loss, sample-major):
//
//   auto history = train::fit(loss, P, optimizer,
//                             train::samples(train::column<"x">(xs), train::column<"y">(ys)),
//                             {.epochs = 200, .batch_size = 32, .seed = 1},
//                             [&](train::epoch_report& r) { r.metrics = "test mse " + ...; });
//
// Every input of the loss needs a column and every column an input (a
// compile-time error names the input); each column must hold the same
// number of samples, and class labels (inputs of shape class_index<C>)
// must be integers in [0, C): checked before anything is written
// (shape_error, label_error). The optional evaluation hook runs after each
// epoch's steps and may fill the report's accuracies and `metrics`, which
// the progress line prints after the loss.
//
// A sequence model (eval/sequence.hpp) trains the same way; its step's
// input is a column of sequences, T steps per sample:
//
//   train::fit(model, P, optimizer,
//              train::samples(train::sequences<"x">(xs, T), train::column<"y">(labels)), options);
//
// Its minibatches run through one sequence_engine on the calling thread
// (threads > 1 throws std::invalid_argument), and check_finite reports a
// non-finite loss or gradient without naming the node.
//
// A classifier on labeled data (data/labeled_csv.hpp), with accuracies:
//
//   auto history = train::fit_classifier(loss, logits, P, optimizer, split.train, split.test,
//                                        {.epochs = 30, .batch_size = 32, .seed = 1});
//
// `loss` is one sample's loss with inputs "x" (vec<features>) and "y", the
// class label (input<"y", class_index<classes>>) or its one-hot vector
// (vec<classes>), e.g. nn::softmax_cross_entropy(logits, input<"y",
// class_index<10>>); `logits` is the network's output for input "x".
// Each minibatch's gradient is the mean over its samples. The optimizer is
// any object with step(P, G). The same seed gives the same minibatches and
// the same weights, bit for bit, on every run.
//
// Checked before anything is written (P and the optimizer untouched on a
// throw): the data's features and classes against the network
// (std::invalid_argument), and each data set's contents
// (train/check_data.hpp): x must hold exactly labels × features numbers
// and every label must lie in [0, classes), else data::data_error naming
// the set and the sample and label ("tapeless: fit_classifier: training
// data: sample 17 has label 12, outside [0, 10)"). batch_size and threads must be >= 1.
//
// Non-finite values: with `.check_finite = true` (the default) every
// minibatch runs with check_finite (eval/finite.hpp), and the first NaN or
// infinity stops training with a numeric_error naming the node (an input
// feature: "input 'x', element 5"), the training sample and the epoch,
// before the optimizer sees the gradient. With threads > 1 the minibatch
// runs unchecked on the threads, and only a minibatch whose loss or
// gradient is not finite is run again on one thread to find the node.
// With `.check_finite = false` nothing is tested here; the optimizers
// still refuse non-finite gradients (optim/*.hpp: skipped_steps()).
//
// Threads: with `.threads = 1` (the default) every minibatch runs on the
// calling thread through one batch_engine. With `.threads = T > 1` each
// minibatch's gradient comes from a parallel_batch_engine with T threads
// (eval/parallel_batch.hpp), created once per call (T - 1 workers that wait
// between steps; nothing is allocated per step). The engine cuts each
// minibatch into T contiguous chunks of whole sweeps (a sweep is two SIMD
// registers of samples: 32 floats with AVX-512, 16 with AVX2) and adds the
// partial gradients in thread order; a minibatch of one sweep is not cut
// at all. The optimizer step, the shuffling and the per-epoch accuracies
// stay on the calling thread.
//
// Reproducibility: a given seed and thread count give the same weights,
// bit for bit, on every run. Different thread counts add the same terms
// in a different order, so their weights may differ in the last bits, and
// the differences grow over the steps as with any reordering of float
// sums. Measured on the digits MLP (64-64-10, float, Adam, 30 epochs,
// AVX-512): minibatches of 128 and 256 on 2 to 4 threads ended at most
// 2.4e-6 from one thread (weights up to 0.93); one full-batch step per
// epoch, 1.3e-4 (likely Adam: a step is normalized by the gradient's size,
// so rounding in near-zero gradients is magnified); the same test accuracy
// every time.
// Minibatches of 32 and 64 gave exactly the one-thread weights there (one
// sweep is not cut; two chunks of one sweep happen to add in the same
// order).
//
// Speed: between minibatches the workers spin on an atomic counter, so a
// step hands its chunks over without a system call (eval/parallel_batch.hpp).
// Threads pay off when the cores are free and a minibatch has several
// sweeps per thread: measured on the digits MLP on a 2-core VM, see
// bench/README.md ("Training on threads"). When the other cores are busy
// with other programs, threads cannot help; the engine then falls back to
// running the steps on the calling thread (the same chunks, the same bits).
// Threads beyond the number of sweeps in a minibatch get no chunk:
// allowed, and useless.
//
// Processes: fit and fit_classifier take a process group as their last
// argument (train/process_group.hpp; dist/mpi.hpp's communicator over MPI):
//
//   train::fit_classifier(loss, logits, P, optimizer, train, test, options, world);
//
// Every process holds the whole data set and the same parameters, and
// makes the same call. The minibatches are the same on every process (the
// same shuffle from the seed); each process takes its contiguous shard of
// every minibatch (the shards differ in size by at most one sample; a
// process may get none of a minibatch smaller than the group), computes its
// shard's summed loss and gradient through the batch engine (on
// `.threads` threads of its own), and one allreduce_sum per step adds the
// gradients, the losses and a flag for non-finite values, in rank order.
// Divided by the minibatch's size, that is every process's mean gradient,
// bit for bit the same everywhere, so every process takes the same
// optimizer step and the parameters stay identical without being sent.
// The same group size and seed give the same bits on every run; against
// one process the terms are added in another grouping, so the weights
// differ in the last bits (the digits MLP on 2 and 3 processes ended at
// most 1.5e-7 from one process after 3 epochs, test/dist).
//
// Before training, every process checks that all hold the same parameters,
// data and options (epochs, batch_size, seed, check_finite), through two
// sums of checksums: otherwise every process throws std::invalid_argument
// (processes given different things would wait for each other forever,
// or drift apart). With check_finite a NaN or infinity in one process's
// shard stops every process after that step's sum: the process that met it
// throws the numeric_error naming the node, the training sample and itself
// ("process 1"), the others one saying it was on another process.
// Evaluation is sharded too: fit_classifier's accuracies are counted on
// each process's shard of the data sets and added. An evaluation hook of
// fit runs on every process (it may make collective calls). Progress lines
// come from process 0 only. epoch_report::communication_seconds is the
// time in the sums, waiting for slower processes included.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/finite.hpp>
#include <tapeless/eval/parallel_batch.hpp>
#include <tapeless/eval/predict.hpp>
#include <tapeless/eval/sequence.hpp>
#include <tapeless/io/crc32.hpp>
#include <tapeless/train/check_data.hpp>
#include <tapeless/train/process_group.hpp>
#include <tuple>
#include <utility>

namespace tapeless::train {

struct fit_options {
  std::size_t epochs = 10;
  std::size_t batch_size = 32;
  std::uint32_t seed = 1;
  std::ostream* progress = nullptr;  // one line per epoch when set
  std::size_t threads = 1;           // threads per minibatch gradient, >= 1 (see above)
  bool check_finite = true;          // stop at the first NaN or infinity (see above)
};

struct epoch_report {
  std::size_t epoch = 0;
  double mean_loss = 0;  // over the epoch's training samples
  double train_accuracy = 0;  // fit_classifier (or an evaluation hook)
  double test_accuracy = 0;
  double samples_per_second = 0;  // training steps only (of all processes together)
  double communication_seconds = 0;  // in the process group's sums (waiting for the others included)
  std::string metrics;            // printed after the loss (an evaluation hook's)
};

// One named per-sample array of a data set: the values of input Name for
// every sample, sample-major (n × the input's size numbers). A view: the
// data must outlive the call.
//
// For a sequence model (eval/sequence.hpp), the step's input is a column of
// sequences, `sequences<"x">(xs, T)`: every sample is T steps of the
// input's size (n × T × size numbers, sample i's step t at (i T + t) ×
// size), T chosen at run time.
template <class Name, class V, bool PerStep = false>
struct column_t {
  using name = Name;
  static constexpr bool per_step = PerStep;
  std::span<const V> values;
  std::size_t steps = 1;
};
template <fixed_string Name, std::ranges::contiguous_range R>
auto column(const R& values) {
  using V = std::remove_cv_t<std::ranges::range_value_t<R>>;
  return column_t<name_of<Name>, V>{std::span<const V>(std::ranges::data(values), std::ranges::size(values))};
}
template <fixed_string Name, std::ranges::contiguous_range R>
auto sequences(const R& values, std::size_t steps) {
  using V = std::remove_cv_t<std::ranges::range_value_t<R>>;
  if (steps == 0) throw std::invalid_argument("tapeless: train::sequences: a sequence needs at least one step");
  return column_t<name_of<Name>, V, true>{std::span<const V>(std::ranges::data(values), std::ranges::size(values)),
                                          steps};
}

// A data set: one column per input of the loss.
template <class... Columns>
struct samples_t {
  std::tuple<Columns...> columns;
};
template <class... Columns>
samples_t<Columns...> samples(Columns... columns) {
  return {std::tuple<Columns...>(columns...)};
}

// The default evaluation hook: nothing.
struct no_evaluation {
  void operator()(epoch_report&) const {}
};

// The class with the largest logit (the first one on ties).
template <expression Logits, class ParamSet>
std::size_t predict(Logits logits, const ParamSet& P, const float* x) {
  constexpr std::size_t features = graph<Logits>::template input_named<name_of<"x">>::shape::size;
  const auto z = value(logits, P, bind<"x">(std::span<const float, features>(x, features)));
  std::size_t best = 0;
  for (std::size_t k = 1; k < Logits::shape::size; ++k)
    if (z[k] > z[best]) best = k;
  return best;
}

// How many samples of d in [begin, end) have their label as largest logit.
// The logits come from batch inference (eval/predict.hpp), a few chunks of
// samples at a time; the predictor and the logits buffer are allocated once
// per call.
template <expression Logits, class ParamSet>
std::size_t correct_predictions(Logits, const ParamSet& P, const data::labeled_data& d, std::size_t begin,
                                std::size_t end) {
  if (end > d.size())
    throw std::out_of_range("tapeless: correct_predictions: samples [" + std::to_string(begin) + ", " +
                            std::to_string(end) + ") of " + std::to_string(d.size()));
  if (begin >= end) return 0;
  using predictor_t = batch_predictor<Logits, ParamSet>;
  constexpr std::size_t classes = Logits::shape::size;
  constexpr std::size_t features = graph<Logits>::template input_named<name_of<"x">>::shape::size;
  if (d.features != features || d.x.size() / features < d.size())
    throw shape_error("tapeless: accuracy: the data has " + std::to_string(d.features) + " features and " +
                      std::to_string(d.x.size()) + " values for " + std::to_string(d.size()) +
                      " samples; the network reads " + std::to_string(features) + " per sample");
  const auto predictor = std::make_unique<predictor_t>();
  const std::size_t block = 4 * predictor_t::lanes;
  std::vector<typename ParamSet::element_type> z(block * classes);
  std::size_t right = 0;
  for (std::size_t first = begin; first < end; first += block) {
    const std::size_t n = std::min(block, end - first);
    predictor->value_into(P, n, std::span(z).first(n * classes),
                          bind<"x">(std::span<const float>(d.sample(first), n * features)));
    for (std::size_t s = 0; s < n; ++s) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < classes; ++k)
        if (z[s * classes + k] > z[s * classes + best]) best = k;
      right += best == std::size_t(d.labels[first + s]);
    }
  }
  return right;
}

// The fraction of samples whose largest logit is their label.
template <expression Logits, class ParamSet>
double accuracy(Logits logits, const ParamSet& P, const data::labeled_data& d) {
  if (d.size() == 0) return 0;
  return double(correct_predictions(logits, P, d, 0, d.size())) / double(d.size());
}

// The loss and gradient summed over a minibatch's samples (the engines'
// default), for the gradient classes below.
struct sum_over_batch_t {};
inline constexpr sum_over_batch_t sum_over_batch{};
namespace detail {
// engine.value_and_grad_into(P, G, m, options..., args...) with
// mean_over_batch among the options for mean_over_batch_t, without for
// sum_over_batch_t.
template <class Reduction, class Engine, class ParamSet, class... A>
auto reduced_gradient(Engine& engine, const ParamSet& P, ParamSet& G, std::size_t m, const A&... args) {
  static_assert(std::is_same_v<Reduction, mean_over_batch_t> || std::is_same_v<Reduction, sum_over_batch_t>);
  if constexpr (std::is_same_v<Reduction, mean_over_batch_t>)
    return engine.value_and_grad_into(P, G, m, mean_over_batch, args...);
  else
    return engine.value_and_grad_into(P, G, m, args...);
}
}  // namespace detail

// Each minibatch's mean gradient, as fit_classifier computes it: one
// batch_engine on the calling thread (threads == 1) or a
// parallel_batch_engine (threads > 1). Allocated once, by the constructor;
// a call allocates nothing.
template <expression Loss, class ParamSet>
class minibatch_gradient {
 public:
  using element_type = typename ParamSet::element_type;

  explicit minibatch_gradient(std::size_t threads) {
    if (threads == 1)
      single_ = std::make_unique<single_engine>();
    else
      parallel_ = std::make_unique<parallel_engine>(threads);
  }

  // The mean loss over the m samples; G is overwritten with the mean gradient.
  // Reduction: mean_over_batch, or sum_over_batch for the sums (which
  // fit's processes add up before dividing by the whole minibatch).
  template <class Reduction, class... Bindings>
  element_type operator()(const ParamSet& P, ParamSet& G, std::size_t m, Reduction, const Bindings&... bindings) {
    if (single_) return detail::reduced_gradient<Reduction>(*single_, P, G, m, bindings...);
    return detail::reduced_gradient<Reduction>(*parallel_, P, G, m, bindings...);
  }

  // The same with check_finite: throws numeric_error at the first NaN or
  // infinity (on threads: checked after the fact, and found again on one
  // thread when there is one).
  template <class Reduction, class... Bindings>
  element_type checked(const ParamSet& P, ParamSet& G, std::size_t m, Reduction, const Bindings&... bindings) {
    if (single_) return detail::reduced_gradient<Reduction>(*single_, P, G, m, check_finite, bindings...);
    const element_type L = detail::reduced_gradient<Reduction>(*parallel_, P, G, m, bindings...);
    bool finite = std::isfinite(L);
    for (std::size_t k = 0; finite && k < ParamSet::size(); ++k) finite = std::isfinite(G.data()[k]);
    if (finite) return L;
    const auto probe = std::make_unique<single_engine>();
    (void)detail::reduced_gradient<Reduction>(*probe, P, G, m, check_finite, bindings...);
    throw numeric_error("tapeless: non-finite loss or gradient on threads, not found again on one thread",
                        numeric_error::npos, numeric_error::npos, true);
  }

 private:
  // Two registers of samples per sweep: minibatches are small, and a wider
  // pack would leave most lanes of each minibatch's last sweep idle. The
  // threads run the same engine on their chunks (the same instantiation):
  // one register per sweep would cut small minibatches finer but was
  // measured slower per sample than two, on one thread as on two.
  using single_engine = batch_engine<Loss, ParamSet, 2>;
  using parallel_engine = parallel_batch_engine<Loss, ParamSet, 2>;
  std::unique_ptr<single_engine> single_;
  std::unique_ptr<parallel_engine> parallel_;
};

// Each minibatch's mean (or summed) gradient for a sequence model: one
// sequence_engine on the calling thread.
template <sequence_model Model, class ParamSet>
class sequence_minibatch_gradient {
 public:
  using element_type = typename ParamSet::element_type;

  explicit sequence_minibatch_gradient(std::size_t threads) : engine_(std::make_unique<engine>()) {
    if (threads != 1)
      throw std::invalid_argument("tapeless: train::fit: a sequence model trains on the calling thread (threads = 1)");
  }

  template <class Reduction, class... Bindings>
  element_type operator()(const ParamSet& P, ParamSet& G, std::size_t m, Reduction, const Bindings&... bindings) {
    return detail::reduced_gradient<Reduction>(*engine_, P, G, m, bindings...);
  }

  // The same, then the loss and G tested: the sequence engine does not name
  // the node of a NaN or infinity, only that the minibatch had one.
  template <class Reduction, class... Bindings>
  element_type checked(const ParamSet& P, ParamSet& G, std::size_t m, Reduction reduction,
                       const Bindings&... bindings) {
    const element_type L = (*this)(P, G, m, reduction, bindings...);
    bool finite = std::isfinite(L);
    for (std::size_t k = 0; finite && k < ParamSet::size(); ++k) finite = std::isfinite(G.data()[k]);
    if (!finite)
      throw numeric_error("tapeless: non-finite loss or gradient in a minibatch of sequences", numeric_error::npos,
                          numeric_error::npos, true);
    return L;
  }

 private:
  using engine = sequence_engine<Model, ParamSet>;
  std::unique_ptr<engine> engine_;
};

namespace detail {

// What fit needs to know of a loss: the inputs a data set gives, each
// one's shape, whether it is a column of sequences, and the engine of a
// minibatch's gradient.
template <class Loss>
struct fit_traits {
  using inputs = typename graph<Loss>::inputs;
  template <class Name>
  using input_named = typename graph<Loss>::template input_named<Name>;
  template <class Name>
  static constexpr bool per_step = false;
  template <class ParamSet>
  using gradient = minibatch_gradient<Loss, ParamSet>;
};
template <class Loss>
  requires sequence_model<Loss>
struct fit_traits<Loss> {
  using inputs = typename Loss::data_inputs;
  template <class Name>
  using input_named = typename graph<typename Loss::scan::union_expr>::template input_named<Name>;
  template <class Name>
  static constexpr bool per_step = std::is_same_v<Name, typename Loss::step_input::name>;
  template <class ParamSet>
  using gradient = sequence_minibatch_gradient<Loss, ParamSet>;
};

template <class Name>
struct column_of_sequences_expected {
  static constexpr bool value = false;
};
template <class Name>
struct column_of_samples_expected {
  static constexpr bool value = false;
};

template <class Name, class... Columns>
struct has_column : std::bool_constant<(std::is_same_v<Name, typename Columns::name> || ...)> {};

template <class Name>
struct missing_column {
  static constexpr bool value = false;
};
template <class Name>
struct column_of_no_input {
  static constexpr bool value = false;
};

// Numbers per sample in column C: the input's size, times the steps of a
// sequence.
template <class Loss, class C>
std::size_t column_width(const C& c) {
  return fit_traits<Loss>::template input_named<typename C::name>::shape::size * c.steps;
}

// Samples in column C (throwing when its size is not whole samples), and its
// class labels checked.
template <class Loss, class C>
std::size_t column_samples(const C& c) {
  using input = typename fit_traits<Loss>::template input_named<typename C::name>;
  const std::size_t width = column_width<Loss>(c);
  const std::size_t n = c.values.size() / width;
  if constexpr (C::per_step) {
    if (n * width != c.values.size())
      throw shape_error("tapeless: train::fit: column '" + std::string(C::name::view()) + "' holds " +
                        std::to_string(c.values.size()) + " numbers, not whole sequences of " +
                        std::to_string(c.steps) + " steps of " + std::to_string(input::shape::size));
  } else {
    tapeless::detail::check_sample_count<input>(c.values, n);  // whole samples; labels in range
  }
  return n;
}

// What every process of a group must hold alike before training together:
// the parameters, and the data and options (which decide the minibatches).
// Each is reduced to a CRC-32, and the processes compare theirs through two
// sums: the first adds the checksums, and a process whose own checksum
// times the group's size is not the sum holds something else; the second
// adds those verdicts, so that every process throws, or none does. (A
// checksum below 2^32 times fewer than 2^21 processes is exact in double.)
template <class ParamSet, class... Columns>
void check_same_start(process_group auto& group, const ParamSet& P, const samples_t<Columns...>& train,
                      const fit_options& options) {
  const auto bytes = [](const auto* p, std::size_t count) {
    return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(p), count * sizeof(*p));
  };
  const std::uint32_t params = tapeless::detail::crc32(bytes(P.data(), ParamSet::size()));
  const std::array<std::uint64_t, 4> settings{options.epochs, options.batch_size, options.seed, options.check_finite};
  std::uint32_t data = tapeless::detail::crc32(bytes(settings.data(), settings.size()));
  std::apply(
      [&](const auto&... c) {
        ((data = tapeless::detail::crc32(bytes(&c.steps, 1), data),
          data = tapeless::detail::crc32(bytes(c.values.data(), c.values.size()), data)),
         ...);
      },
      train.columns);
  const double size = double(group.size());
  std::array<double, 2> sums{double(params), double(data)};
  group.allreduce_sum(std::span<double>(sums));
  std::array<double, 2> differ{double(params) * size != sums[0] ? 1.0 : 0.0, double(data) * size != sums[1] ? 1.0 : 0.0};
  group.allreduce_sum(std::span<double>(differ));
  if (differ[1] > 0)
    throw std::invalid_argument("tapeless: train::fit: the processes were given different training data or options "
                                "(every process needs the whole data set, in the same order, and the same epochs, "
                                "batch_size, seed and check_finite)");
  if (differ[0] > 0)
    throw std::invalid_argument("tapeless: train::fit: the processes start from different parameters: give them "
                                "the same initialization seed, or broadcast one process's parameters "
                                "(dist::broadcast) before training");
}

}  // namespace detail

// Training on a group of processes (one model, each process a shard of
// every minibatch): see "Processes" at the top.
template <class Loss, class ParamSet, class Optimizer, class... Columns, class Evaluate, process_group Group>
  requires(expression<Loss> || sequence_model<Loss>)
std::vector<epoch_report> fit(Loss, ParamSet& P, Optimizer& optimizer, const samples_t<Columns...>& train,
                              const fit_options& options, Evaluate evaluate, Group& group) {
  using E = typename ParamSet::element_type;
  using traits = detail::fit_traits<Loss>;
  using inputs = typename traits::inputs;
  constexpr bool alone = std::is_same_v<std::remove_cvref_t<Group>, single_process>;
  // Every input has one column, and every column is an input; otherwise
  // one message, and nothing else is compiled.
  constexpr bool every_input = []<class... I>(tapeless::detail::type_list<I...>) {
    return (detail::has_column<typename I::name, Columns...>::value && ...);
  }(inputs{});
  constexpr bool every_column =
      (tapeless::detail::list_contains<typename traits::template input_named<typename Columns::name>, inputs> && ...);
  if constexpr (!every_input) {
    tapeless::detail::for_each_type(inputs{}, [&]<class I>() {
      if constexpr (!detail::has_column<typename I::name, Columns...>::value)
        static_assert(detail::missing_column<typename I::name>::value,
                      "tapeless: train::fit: the data set has no column for this input of the loss (its name is the "
                      "template argument above): add train::column<\"name\">(values)");
    });
    return {};
  } else if constexpr (!every_column) {
    (
        [&] {
          if constexpr (!tapeless::detail::list_contains<
                            typename traits::template input_named<typename Columns::name>, inputs>)
            static_assert(detail::column_of_no_input<typename Columns::name>::value,
                          "tapeless: train::fit: this column names no input of the loss (its name is the template "
                          "argument above)");
        }(),
        ...);
    return {};
  } else if constexpr (((traits::template per_step<typename Columns::name> != Columns::per_step) || ...)) {
    (
        [&] {
          if constexpr (traits::template per_step<typename Columns::name> && !Columns::per_step)
            static_assert(detail::column_of_sequences_expected<typename Columns::name>::value,
                          "tapeless: train::fit: this column is the sequence model's step input (its name is the "
                          "template argument above): give it as train::sequences<\"name\">(values, steps)");
          else if constexpr (!traits::template per_step<typename Columns::name> && Columns::per_step)
            static_assert(detail::column_of_samples_expected<typename Columns::name>::value,
                          "tapeless: train::fit: this column holds one value per sample, not sequences (its name is "
                          "the template argument above): give it as train::column<\"name\">(values)");
        }(),
        ...);
    return {};
  } else {
  // Processes given different things would wait for each other forever
  // or drift apart: checked first, by every process alike.
  if constexpr (!alone) detail::check_same_start(group, P, train, options);
  if (options.batch_size == 0) throw std::invalid_argument("tapeless: train::fit: batch_size must be > 0");
  if (options.threads == 0)
    throw std::invalid_argument("tapeless: train::fit: threads must be >= 1 (1 trains on the calling thread)");

  // Checked before anything is written: the same number of whole samples in
  // every column, and class labels in range.
  const std::size_t n =
      std::get<0>(train.columns).values.size() / detail::column_width<Loss>(std::get<0>(train.columns));
  std::apply(
      [&](const auto&... c) {
        (
            [&] {
              const std::size_t k = detail::column_samples<Loss>(c);
              if (k != n)
                throw shape_error("tapeless: train::fit: column '" +
                                  std::string(std::remove_cvref_t<decltype(c)>::name::view()) + "' holds " +
                                  std::to_string(k) + " samples, the first column " + std::to_string(n));
            }(),
            ...);
      },
      train.columns);

  // Allocated once: the engine, the gradient, one minibatch buffer per
  // column, and (on a group) the message of a step: the gradient, the loss
  // and how many processes met a non-finite value.
  const std::size_t batch = std::min(options.batch_size, std::max<std::size_t>(n, 1));
  typename traits::template gradient<ParamSet> gradient(options.threads);
  auto G = std::make_unique<ParamSet>();
  std::array<std::vector<E>, sizeof...(Columns)> buffers;
  std::array<std::size_t, sizeof...(Columns)> widths;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((widths[K] = detail::column_width<Loss>(std::get<K>(train.columns)), buffers[K] = std::vector<E>(batch * widths[K])),
     ...);
  }(std::index_sequence_for<Columns...>{});
  std::vector<E> message(alone ? 0 : ParamSet::size() + 2);
  std::unique_ptr<numeric_error> met_non_finite;  // on a group: kept until the step's message is out
  std::mt19937 rng(options.seed);
  const bool prints = options.progress && group.rank() == 0;

  std::vector<epoch_report> history;
  for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto order = data::shuffled_indices(n, rng);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0, communication = 0;
    for (std::size_t first = 0; first < n; first += batch) {
      const std::size_t m = std::min(batch, n - first);
      // This process's part of the minibatch: all of it, or its shard.
      const shard part = shard_of(m, group.rank(), group.size());
      const std::size_t mine = part.size();
      const E part_loss = [&]<std::size_t... K>(std::index_sequence<K...>) {
        // Minibatch rows of every column, in the shuffled order.
        (
            [&] {
              const auto& c = std::get<K>(train.columns);
              const std::size_t w = widths[K];
              for (std::size_t s = 0; s < mine; ++s) {
                const std::size_t i = order[first + part.first + s];
                for (std::size_t e = 0; e < w; ++e) buffers[K][s * w + e] = E(c.values[i * w + e]);
              }
            }(),
            ...);
        auto bindings = std::make_tuple(
            binding<typename std::tuple_element_t<K, std::tuple<Columns...>>::name, aos_samples<E>>{
                aos(std::span<const E>(buffers[K].data(), mine * widths[K]))}...);
        // Alone: the mean over the minibatch. On a group: this shard's
        // sum, which the group adds up and divides by m.
        using reduction = std::conditional_t<alone, mean_over_batch_t, sum_over_batch_t>;
        if (!options.check_finite)
          return std::apply([&](const auto&... b) { return gradient(P, *G, mine, reduction{}, b...); }, bindings);
        try {
          return std::apply([&](const auto&... b) { return gradient.checked(P, *G, mine, reduction{}, b...); },
                            bindings);
        } catch (const numeric_error& e) {
          // The engine's sample is the shard's; name the training sample.
          std::string what = std::string(e.what()) + " (train::fit: epoch " + std::to_string(epoch);
          std::size_t sample = numeric_error::npos;
          if (e.sample() != numeric_error::npos && e.sample() < mine) {
            sample = order[first + part.first + e.sample()];
            what += e.in_gradient() ? ", minibatch from training sample " : ", training sample ";
            what += std::to_string(sample);
          }
          if (!alone) what += ", process " + std::to_string(group.rank());
          numeric_error located(what + ")", e.node(), sample, e.in_gradient());
          if constexpr (alone) throw located;
          // On a group: the others are told through the step's message,
          // then every process throws (none is left waiting).
          if (!met_non_finite) met_non_finite = std::make_unique<numeric_error>(located);
          return E(0);
        }
      }(std::index_sequence_for<Columns...>{});
      if constexpr (alone) {
        loss_sum += double(part_loss) * double(m);
      } else {
        const std::size_t p = ParamSet::size();
        std::copy_n(G->data(), p, message.data());
        message[p] = part_loss;
        message[p + 1] = met_non_finite ? E(1) : E(0);
        const auto sent = std::chrono::steady_clock::now();
        group.allreduce_sum(std::span<E>(message));
        communication += std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
        if (message[p + 1] != E(0)) {
          if (met_non_finite) throw *met_non_finite;
          throw numeric_error("tapeless: train::fit: a non-finite loss or gradient on another process (epoch " +
                                  std::to_string(epoch) + "; that process names the node and sample)",
                              numeric_error::npos, numeric_error::npos, true);
        }
        const E scale = E(1) / E(m);
        for (std::size_t k = 0; k < p; ++k) G->data()[k] = message[k] * scale;
        loss_sum += double(message[p]);
      }
      optimizer.step(P, *G);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    epoch_report r;
    r.epoch = epoch;
    r.mean_loss = n ? loss_sum / double(n) : 0;
    r.samples_per_second = seconds > 0 ? double(n) / seconds : 0;
    r.communication_seconds = communication;
    evaluate(r);
    history.push_back(r);
    if (prints) {
      char head[64], tail[48];
      std::snprintf(head, sizeof head, "epoch %3zu/%zu  loss %.4f  ", epoch, options.epochs, r.mean_loss);
      std::snprintf(tail, sizeof tail, "%.0f samples/s\n", r.samples_per_second);
      *options.progress << head << r.metrics << (r.metrics.empty() ? "" : "  ") << tail << std::flush;
    }
  }
  return history;
  }
}

// Training in this process alone.
template <class Loss, class ParamSet, class Optimizer, class... Columns, class Evaluate = no_evaluation>
  requires(expression<Loss> || sequence_model<Loss>)
std::vector<epoch_report> fit(Loss loss, ParamSet& P, Optimizer& optimizer, const samples_t<Columns...>& train,
                              const fit_options& options, Evaluate evaluate = {}) {
  single_process alone;
  return fit(loss, P, optimizer, train, options, evaluate, alone);
}

// A classifier on a group of processes: each process trains on its shard
// of every minibatch and evaluates its shard of both data sets.
template <expression Loss, expression Logits, class ParamSet, class Optimizer, process_group Group>
std::vector<epoch_report> fit_classifier(Loss loss, Logits logits, ParamSet& P, Optimizer& optimizer,
                                         const data::labeled_data& train, const data::labeled_data& test,
                                         const fit_options& options, Group& group) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t features = graph<Loss>::template input_named<name_of<"x">>::shape::size;
  // "y" is a class label (input<"y", class_index<C>>: one number per
  // sample) or a one-hot vector (vec<C>).
  using label_shape = typename graph<Loss>::template input_named<name_of<"y">>::shape;
  constexpr bool class_labels = tapeless::detail::is_class_index<label_shape>::value;
  constexpr std::size_t classes = [] {
    if constexpr (class_labels)
      return label_shape::classes;
    else
      return label_shape::size;
  }();
  static_assert(Logits::shape::size == classes, "tapeless: fit_classifier: logits and the label 'y' differ in size");
  for (const data::labeled_data* d : {&train, &test})
    if (d->features != features || d->classes != classes)
      throw std::invalid_argument("tapeless: fit_classifier: the " + std::string(d == &train ? "training" : "test") +
                                  " data has " + std::to_string(d->features) + " features and " +
                                  std::to_string(d->classes) + " classes, the network " + std::to_string(features) +
                                  " and " + std::to_string(classes));
  if (options.batch_size == 0) throw std::invalid_argument("tapeless: fit_classifier: batch_size must be > 0");
  if (options.threads == 0)
    throw std::invalid_argument("tapeless: fit_classifier: threads must be >= 1 (1 trains on the calling thread)");
  // Labels in [0, classes) and x of exactly labels × features numbers.
  check_labeled_data(train, "fit_classifier: training data", features, classes);
  check_labeled_data(test, "fit_classifier: test data", features, classes);

  // The "y" column: the labels, or their one-hot vectors.
  constexpr std::size_t label_width = class_labels ? 1 : classes;
  if (train.size() > std::numeric_limits<std::size_t>::max() / sizeof(E) / label_width)
    throw std::invalid_argument("tapeless: fit_classifier: " + std::to_string(train.size()) +
                                " one-hot labels do not fit in memory");
  std::vector<E> y(train.size() * label_width, E(0));
  for (std::size_t i = 0; i < train.size(); ++i) {
    if constexpr (class_labels)
      y[i] = E(train.labels[i]);
    else
      y[i * classes + std::size_t(train.labels[i])] = E(1);
  }
  return fit(
      loss, P, optimizer,
      samples(column<"x">(std::span<const float>(train.x.data(), train.size() * features)), column<"y">(y)), options,
      [&](epoch_report& r) {
        // Each process counts its shard of each set; the counts are added.
        const shard mine_train = shard_of(train.size(), group.rank(), group.size());
        const shard mine_test = shard_of(test.size(), group.rank(), group.size());
        std::array<double, 2> right{double(correct_predictions(logits, P, train, mine_train.first, mine_train.last)),
                                    double(correct_predictions(logits, P, test, mine_test.first, mine_test.last))};
        group.allreduce_sum(std::span<double>(right));
        r.train_accuracy = train.size() ? right[0] / double(train.size()) : 0;
        r.test_accuracy = test.size() ? right[1] / double(test.size()) : 0;
        char text[64];
        std::snprintf(text, sizeof text, "train acc %.2f%%  test acc %.2f%%", 100 * r.train_accuracy,
                      100 * r.test_accuracy);
        r.metrics = text;
      },
      group);
}

// A classifier in this process alone.
template <expression Loss, expression Logits, class ParamSet, class Optimizer>
std::vector<epoch_report> fit_classifier(Loss loss, Logits logits, ParamSet& P, Optimizer& optimizer,
                                         const data::labeled_data& train, const data::labeled_data& test,
                                         const fit_options& options) {
  single_process alone;
  return fit_classifier(loss, logits, P, optimizer, train, test, options, alone);
}

}  // namespace tapeless::train
