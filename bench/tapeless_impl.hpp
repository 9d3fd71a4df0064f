// tapeless on the benchmark networks: the networks written as expressions,
// run through the scalar path (one sample at a time) and the SIMD batch
// path (one sample per lane).
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <span>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

#include "common.hpp"

namespace tlbench::nets {
using namespace tapeless;

// A fully connected ReLU network with a linear output layer; layer l has
// parameters W<l> and b<l>.
template <std::size_t L, std::size_t Layers, auto Dims, class H>
constexpr auto mlp(H h) {
  constexpr auto W = param<indexed_name<"W", L>, mat<Dims[L + 1], Dims[L]>>;
  constexpr auto b = param<indexed_name<"b", L>, vec<Dims[L + 1]>>;
  if constexpr (L + 1 == Layers)
    return W * h + b;
  else
    return mlp<L + 1, Layers, Dims>(relu(W * h + b));
}

// h <- h + relu(W_i h + b_i), Blocks times.
template <std::size_t I, std::size_t Blocks, std::size_t Width, class H>
constexpr auto residual(H h) {
  if constexpr (I == Blocks) {
    return h;
  } else {
    constexpr auto W = param<indexed_name<"W", I>, mat<Width, Width>>;
    constexpr auto b = param<indexed_name<"b", I>, vec<Width>>;
    return residual<I + 1, Blocks, Width>(h + relu(W * h + b));
  }
}

template <char Net>
constexpr auto loss() {
  using S = net_spec<Net>;
  constexpr auto x = input<"x", vec<in_width<Net>()>>;
  constexpr auto y = input<"y", vec<out_width<Net>()>>;
  if constexpr (S::kind == net_kind::mlp)
    return 0.5_c * sum(square(mlp<0, S::dims.size() - 1, S::dims>(x) - y));
  else
    return 0.5_c * sum(square(residual<0, S::blocks, S::width>(x) - y));
}

template <char Net, class T>
using params_t = params<decltype(loss<Net>()), T>;

template <char Net, class T>
void copy_in(params_t<Net, T>& P, const T* flat) {
  std::memcpy(P.data(), flat, P.size() * sizeof(T));
}

}  // namespace tlbench::nets

template <char Net, class T>
T tapeless_scalar(const T* params, const tlbench::dataset<T>& d, T* grad) {
  using namespace tapeless;
  namespace N = tlbench::nets;
  static_assert(N::params_t<Net, T>::size() == tlbench::param_count<Net>());
  N::params_t<Net, T> P, G;
  N::copy_in<Net, T>(P, params);
  G.fill(T(0));
  constexpr std::size_t in = tlbench::in_width<Net>(), out = tlbench::out_width<Net>();
  T L = 0;
  for (std::size_t s = 0; s < d.n; ++s)
    L += value_and_grad_accumulate(N::loss<Net>(), P, G, bind<"x">(std::span<const T, in>(&d.x_aos[s * in], in)),
                                   bind<"y">(std::span<const T, out>(&d.y_aos[s * out], out)));
  std::memcpy(grad, G.data(), G.size() * sizeof(T));
  return L;
}

template <char Net, class T>
T tapeless_simd(const T* params, const tlbench::dataset<T>& d, T* grad) {
  using namespace tapeless;
  namespace N = tlbench::nets;
  using engine_t = batch_engine<decltype(N::loss<Net>()), N::params_t<Net, T>>;
  // One engine and buffers per thread, allocated once (the L network's
  // per-lane accumulators are megabytes).
  struct state {
    engine_t engine;
    N::params_t<Net, T> P, G;
  };
  static thread_local std::unique_ptr<state> s = std::make_unique<state>();
  N::copy_in<Net, T>(s->P, params);
  const T L = s->engine.value_and_grad_into(s->P, s->G, d.n, bind<"x">(soa(d.x_soa)), bind<"y">(soa(d.y_soa)));
  std::memcpy(grad, s->G.data(), s->G.size() * sizeof(T));
  return L;
}
