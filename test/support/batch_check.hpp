#pragma once
// The batch path against the scalar path summed over the same samples, for
// a loss over any inputs (one column of per-sample data each, class labels
// included): values, gradients in both data layouts, and the mean over the
// batch.

#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

namespace batch_check {

using namespace tapeless;

template <class Loss, class E>
params<Loss, E> random_params(std::mt19937& rng, double lo = -1, double hi = 1) {
  params<Loss, E> P;
  std::uniform_real_distribution<double> u(lo, hi);
  for (E& p : P.span()) p = E(u(rng));
  return P;
}

template <class E>
constexpr double tolerance = std::is_same_v<E, float> ? 2e-5 : 1e-12;

template <class Loss>
using inputs_of = typename graph<Loss>::inputs;

// The samples of every input of Loss, in the graph's order of inputs: input
// k's column holds sample s's numbers at [s * size, (s + 1) * size).
template <class Loss, class E>
using columns = std::array<std::vector<E>, inputs_of<Loss>::size>;

// Sample s of every input, in double, bound by name: one call of the scalar
// path on it.
template <class Loss, class E, class Call>
auto on_sample(const columns<Loss, E>& data, std::size_t s, Call call) {
  input_values<Loss, double> sample;
  return [&]<class... I, std::size_t... K>(detail::type_list<I...>, std::index_sequence<K...>) {
    (
        [&] {
          auto region = sample.template view<I>();
          for (std::size_t e = 0; e < I::shape::size; ++e) region[e] = double(data[K][s * I::shape::size + e]);
        }(),
        ...);
    return call(binding<typename I::name, tensor_view<const double, typename I::shape>>{sample.template view<I>()}...);
  }(inputs_of<Loss>{}, std::make_index_sequence<inputs_of<Loss>::size>{});
}

// Which of the engine's calls a check makes: value_and_grad_into on
// sample-major data alone (the op laws: the data layouts and the mean do
// not depend on the op), or also on feature-major data, value() alone and
// the mean.
enum class calls { sample_major, all };

// What check_against_scalar compares, in double: the loss and gradient of
// the scalar path summed over n samples (scale: 1 + the sum of |loss| over
// the samples), and the batch engine's with the data bound sample-major
// (aos) and, with calls::all, feature-major (soa), its value alone, and its
// mean.
struct batch_results {
  std::size_t n;
  double tolerance;
  calls made;
  double L_ref, scale, L_aos, L_soa, L_value, L_mean;
  std::vector<double> G_ref, G_aos, G_soa, G_mean;
};

// The assertions on plain numbers: not a template, so that doctest's
// expansion of each CHECK is compiled once, not once per loss.
inline void compare(const batch_results& r) {
  const bool all = r.made == calls::all;
  CHECK(r.L_aos == doctest::Approx(r.L_ref).epsilon(r.tolerance).scale(r.scale));
  if (all) {
    CHECK(r.L_soa == r.L_aos);
    CHECK(r.L_value == r.L_aos);
  }
  for (std::size_t k = 0; k < r.G_ref.size(); ++k) {
    INFO("n = " << r.n << ", parameter entry " << k);
    CHECK(r.G_aos[k] == doctest::Approx(r.G_ref[k]).epsilon(r.tolerance).scale(r.scale));
    if (all) CHECK(r.G_soa[k] == r.G_aos[k]);
  }

  // The mean is the sum over n.
  if (all && r.n > 0) {
    CHECK(r.L_mean == doctest::Approx(r.L_aos / double(r.n)).epsilon(r.tolerance));
    for (std::size_t k = 0; k < r.G_ref.size(); ++k)
      CHECK(r.G_mean[k] == doctest::Approx(r.G_aos[k] / double(r.n)).epsilon(r.tolerance).scale(1));
  }
}

// The batch engine's loss and gradient over n samples (and, with
// calls::all, its other calls) against the scalar path in double summed
// sample by sample.
template <calls Calls = calls::all, class Loss, class E>
void check_against_scalar(Loss loss, const params<Loss, E>& P, std::size_t n, const columns<Loss, E>& data) {
  params<Loss, double> Pd;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = double(P.data()[k]);
  params<Loss, double> Gref;
  Gref.fill(0);
  batch_results r{n, tolerance<E>, Calls, 0, 1, 0, 0, 0, 0, {}, {}, {}, {}};
  for (std::size_t s = 0; s < n; ++s)
    on_sample<Loss>(data, s, [&](const auto&... bindings) {
      const double L = value_and_grad_accumulate(loss, Pd, Gref, bindings...);
      r.L_ref += L;
      r.scale += std::abs(L);
    });

  // On the heap: an engine over a chunk of samples can be large.
  auto engine = std::make_unique<batch_engine<Loss, params<Loss, E>>>();
  params<Loss, E> G_aos, G_soa, G_mean;
  G_aos.fill(E(7));  // overwritten
  [&]<class... I, std::size_t... K>(detail::type_list<I...>, std::index_sequence<K...>) {
    r.L_aos = engine->value_and_grad_into(P, G_aos, n, binding<typename I::name, aos_samples<E>>{aos(data[K])}...);
    if constexpr (Calls == calls::all) {
      // The same samples feature-major, for soa().
      columns<Loss, E> by_feature;
      (
          [&] {
            constexpr std::size_t size = I::shape::size;
            by_feature[K].resize(size * n);
            for (std::size_t s = 0; s < n; ++s)
              for (std::size_t e = 0; e < size; ++e) by_feature[K][e * n + s] = data[K][s * size + e];
          }(),
          ...);
      r.L_soa =
          engine->value_and_grad_into(P, G_soa, n, binding<typename I::name, soa_samples<E>>{soa(by_feature[K])}...);
      r.L_value = engine->value(P, n, binding<typename I::name, aos_samples<E>>{aos(data[K])}...);
      if (n > 0)
        r.L_mean = engine->value_and_grad_into(P, G_mean, n, mean_over_batch,
                                               binding<typename I::name, aos_samples<E>>{aos(data[K])}...);
    }
  }(inputs_of<Loss>{}, std::make_index_sequence<inputs_of<Loss>::size>{});

  r.G_ref.assign(Gref.begin(), Gref.end());
  r.G_aos.assign(G_aos.begin(), G_aos.end());
  r.G_soa.assign(G_soa.begin(), G_soa.end());
  r.G_mean.assign(G_mean.begin(), G_mean.end());
  compare(r);
}

// For a loss over an input "x" (vec<2>) and an input "y" (scalar).
template <class Loss, class E>
void check_against_scalar(Loss loss, const params<Loss, E>& P, std::size_t n, const std::vector<E>& xs,
                          const std::vector<E>& ys) {
  static_assert(std::is_same_v<inputs_of<Loss>, detail::type_list<input_t<name_of<"x">, vec<2>>, input_t<name_of<"y">, scalar>>>);
  check_against_scalar(loss, P, n, columns<Loss, E>{xs, ys});
}

// W is the number of samples a sweep carries (Pack registers); R is one
// register's lane count, so tails that end inside a pack are covered too.
template <class Loss, class E>
std::vector<std::size_t> batch_sizes() {
  constexpr std::size_t W = batch_engine<Loss, params<Loss, E>>::lanes;
  constexpr std::size_t R = xsimd::batch<E>::size;
  return {0, 1, R - 1, R + 1, W - 1, W, W + 1, 2 * W + 1, 1001};
}

// n samples of every input of Loss, drawn uniformly from [lo, hi] (class
// labels: uniformly among their classes), input after input.
template <class Loss, class E>
columns<Loss, E> random_columns(std::size_t n, std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  columns<Loss, E> data;
  [&]<class... I, std::size_t... K>(detail::type_list<I...>, std::index_sequence<K...>) {
    (
        [&] {
          data[K].resize(n * I::shape::size);
          for (E& v : data[K]) {
            if constexpr (detail::is_class_index<typename I::shape>::value)
              v = E(std::uniform_int_distribution<std::size_t>(0, I::shape::classes - 1)(rng));
            else
              v = E(u(rng));
          }
        }(),
        ...);
  }(inputs_of<Loss>{}, std::make_index_sequence<inputs_of<Loss>::size>{});
  return data;
}

// check_against_scalar at every tail size, inputs drawn uniformly from
// [lo, hi].
template <calls Calls = calls::all, class Loss, class E>
void check_at_every_tail_size(Loss loss, const params<Loss, E>& P, std::mt19937& rng, double lo = -1.5,
                              double hi = 1.5) {
  for (const std::size_t n : batch_sizes<Loss, E>())
    check_against_scalar<Calls>(loss, P, n, random_columns<Loss, E>(n, rng, lo, hi));
}

}  // namespace batch_check
