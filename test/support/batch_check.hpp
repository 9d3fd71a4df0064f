#pragma once
// The batch path against the scalar path summed over the same samples, for
// a loss over an input "x" (vec<2>) and an input "y" (scalar): values,
// gradients in both data layouts, and the mean over the batch.

#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

namespace batch_check {

using namespace tapeless;

template <class Loss, class E>
params<Loss, E> random_params(std::mt19937& rng) {
  params<Loss, E> P;
  std::uniform_real_distribution<double> u(-1, 1);
  for (E& p : P.span()) p = E(u(rng));
  return P;
}

template <class E>
constexpr double tolerance = std::is_same_v<E, float> ? 2e-5 : 1e-12;

// Compares a batch gradient with the scalar path summed sample by sample.
template <class Loss, class E>
void check_against_scalar(Loss loss, const params<Loss, E>& P, std::size_t n, const std::vector<E>& xs,
                          const std::vector<E>& ys) {
  params<Loss, double> Pd;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = double(P.data()[k]);
  params<Loss, double> Gref;
  Gref.fill(0);
  double Lref = 0, scale = 1;
  for (std::size_t s = 0; s < n; ++s) {
    const std::array<double, 2> xv{double(xs[2 * s]), double(xs[2 * s + 1])};
    Lref += value_and_grad_accumulate(loss, Pd, Gref, bind<"x">(xv), bind<"y">(double(ys[s])));
    scale += std::abs(value(loss, Pd, bind<"x">(xv), bind<"y">(double(ys[s]))));
  }
  // The same samples feature-major, for soa().
  std::vector<E> xs_soa(2 * n);
  for (std::size_t s = 0; s < n; ++s) {
    xs_soa[s] = xs[2 * s];
    xs_soa[n + s] = xs[2 * s + 1];
  }

  batch_engine<Loss, params<Loss, E>> engine;
  params<Loss, E> G_aos, G_soa;
  G_aos.fill(E(7));  // overwritten
  const E L_aos = engine.value_and_grad_into(P, G_aos, n, bind<"x">(aos(xs)), bind<"y">(ys));
  const E L_soa = engine.value_and_grad_into(P, G_soa, n, bind<"x">(soa(xs_soa)), bind<"y">(soa(ys)));
  const E L_value = engine.value(P, n, bind<"x">(xs), bind<"y">(ys));

  CHECK(double(L_aos) == doctest::Approx(Lref).epsilon(tolerance<E>).scale(scale));
  CHECK(L_soa == L_aos);
  CHECK(L_value == L_aos);
  for (std::size_t k = 0; k < P.size(); ++k) {
    INFO("n = " << n << ", parameter entry " << k);
    CHECK(double(G_aos.data()[k]) == doctest::Approx(Gref.data()[k]).epsilon(tolerance<E>).scale(scale));
    CHECK(G_soa.data()[k] == G_aos.data()[k]);
  }

  // The mean is the sum over n.
  if (n > 0) {
    params<Loss, E> G_mean;
    const E L_mean = engine.value_and_grad_into(P, G_mean, n, mean_over_batch, bind<"x">(aos(xs)), bind<"y">(ys));
    CHECK(double(L_mean) == doctest::Approx(double(L_aos) / double(n)).epsilon(tolerance<E>));
    for (std::size_t k = 0; k < P.size(); ++k)
      CHECK(double(G_mean.data()[k]) ==
            doctest::Approx(double(G_aos.data()[k]) / double(n)).epsilon(tolerance<E>).scale(1));
  }
}

// W is the number of samples a sweep carries (Pack registers); R is one
// register's lane count, so tails that end inside a pack are covered too.
template <class Loss, class E>
std::vector<std::size_t> batch_sizes() {
  constexpr std::size_t W = batch_engine<Loss, params<Loss, E>>::lanes;
  constexpr std::size_t R = xsimd::batch<E>::size;
  return {0, 1, R - 1, R + 1, W - 1, W, W + 1, 2 * W + 1, 1001};
}

// check_against_scalar at every tail size, inputs drawn uniformly from
// [-1.5, 1.5].
template <class Loss, class E>
void check_at_every_tail_size(Loss loss, const params<Loss, E>& P, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  for (const std::size_t n : batch_sizes<Loss, E>()) {
    std::vector<E> xs(2 * n), ys(n);
    for (E& v : xs) v = E(u(rng));
    for (E& v : ys) v = E(u(rng));
    check_against_scalar(loss, P, n, xs, ys);
  }
}

}  // namespace batch_check
