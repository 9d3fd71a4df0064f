// Peer: Sacado (Trilinos 13.2, Debian 12 libtrilinos-sacado-dev), reverse
// mode Sacado::Rad::ADvar<T> (Sacado_trad.hpp, David Gay's templated RAD).
// Built in only with -DTAPELESS_BENCH_HAVE_SACADO.
//
// Rad records the operations of one evaluation in an arena as they happen
// (operator overloading, no replayable tape), so every sample is a fresh
// recording: assign the parameter values to the ADvar independents (each
// assignment makes a new independent), run the network on that sample with
// plain C++ control flow, then ADvar::Gradcomp() propagates from the last
// value computed, which is the sample's loss, and adj() of each independent
// is added to grad.  The arena is reused by the next sample (Gradcomp marks
// it for re-initialisation), so there is no per-sample heap traffic once it
// has grown.  This is the usage shown in Sacado's trad examples.
//
// ReLU is a C++ branch, (z > 0) ? z : 0 with the 0 a fresh constant: the
// kink subgradient is 0, as in the scalar reference.
//
// T is float or double natively (ADvar<float> computes in float).
#pragma once

#include <Sacado_trad.hpp>

#include <vector>

#include "common.hpp"

namespace tlbench::peers::sacado_peer {

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  using ad = Sacado::Rad::ADvar<T>;
  const std::size_t np = param_count<Net>(), in = d.in, out = d.out;
  // Reused between calls: the ADvar handles only; what they point to lives
  // in Rad's arena and is rebuilt for every sample.
  thread_local std::vector<ad> p, a, next;
  p.resize(np);
  std::fill(grad, grad + np, T(0));
  T loss = 0;
  for (std::size_t s = 0; s < d.n; ++s) {
    for (std::size_t j = 0; j < np; ++j) p[j] = params[j];
    a.resize(in);
    for (std::size_t i = 0; i < in; ++i) a[i] = d.x_aos[s * in + i];
    if constexpr (S::kind == net_kind::mlp) {
      std::size_t k = 0;
      for (std::size_t l = 0; l + 1 < S::dims.size(); ++l) {
        const std::size_t ni = S::dims[l], no = S::dims[l + 1];
        const bool hidden = l + 2 < S::dims.size();
        next.resize(no);
        for (std::size_t o = 0; o < no; ++o) {
          ad z = p[k + no * ni + o];
          for (std::size_t i = 0; i < ni; ++i) z += p[k + o * ni + i] * a[i];
          if (hidden && !(z > T(0))) next[o] = T(0);
          else next[o] = z;
        }
        k += no * ni + no;
        std::swap(a, next);
      }
    } else {
      const std::size_t w = S::width, per = w * w + w;
      next.resize(w);
      for (std::size_t b = 0; b < S::blocks; ++b) {
        for (std::size_t o = 0; o < w; ++o) {
          ad z = p[b * per + w * w + o];
          for (std::size_t i = 0; i < w; ++i) z += p[b * per + o * w + i] * a[i];
          if (z > T(0)) next[o] = a[o] + z;
          else next[o] = a[o];
        }
        std::swap(a, next);
      }
    }
    ad ls = T(0);
    for (std::size_t o = 0; o < out; ++o) {
      ad r = a[o] - d.y_aos[s * out + o];
      ls += T(0.5) * r * r;
    }
    ad::Gradcomp();  // from the last value computed: ls
    loss += ls.val();
    for (std::size_t j = 0; j < np; ++j) grad[j] += p[j].adj();
  }
  return loss;
}

}  // namespace tlbench::peers::sacado_peer
