// Peer: ADOL-C (Debian 12 libadolc-dev 2.7.2), operator overloading with a
// recorded tape.  Built in only with -DTAPELESS_BENCH_HAVE_ADOLC.
//
// One tape per network (tag 1..4 for S, M, L, R), recorded on the first
// call: the independents are the parameters (flat layout of common.hpp),
// then one sample's x, then its y; the single dependent is that sample's
// loss 0.5 * ||yhat - y||^2.  Every call then replays the tape once per
// sample, zos_forward (keep = 1, loss value) followed by fos_reverse with
// weight 1 (the gradient w.r.t. all independents; this is what ADOL-C's
// gradient() driver does, spelled out so the loss value comes back too),
// and sums the first param_count entries over the batch.  x and y are
// independents rather than constants so the same tape serves every sample
// without retaping; their adjoints are computed and dropped.
//
// ReLU: condassign(r, z, z) on r = 0, i.e. r = (z > 0) ? z : 0.  ADOL-C
// records cond_assign as a tape operation that re-evaluates the condition on
// every replay (a C++ `if` on an adouble would be taped as the branch taken
// while recording), and its reverse sends the adjoint to z only where z > 0,
// so the kink subgradient is 0, as in the scalar reference.  (fmax(z, 0.0)
// would also replay correctly, taped as a min_op, but which subgradient
// ADOL-C takes at an exact tie was not checked; condassign's is 0 by
// construction; the gradient check would catch a difference only at a point
// where some z is exactly 0.)  When a unit's sign differs from the recording
// run, the return code of zos_forward / fos_reverse may drop from 3 to 2
// (a cond_assign whose branch changed); the derivative is still that of the
// branch taken at the replay point, so that is not an error here.  A
// negative return code is, and aborts.
//
// ADOL-C computes in double only.  The float networks (S, M, L, R float)
// are run by converting params and data to double and the gradient back to
// float; those rows are named adolc_f64 to say so.
#pragma once

#include <adolc/adolc.h>

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace tlbench::peers::adolc_peer {

template <char Net>
constexpr short tape_tag() {
  return Net == 'S' ? 1 : Net == 'M' ? 2 : Net == 'L' ? 3 : 4;
}

// Records the per-sample loss of network Net on tape tape_tag<Net>().
template <char Net>
void record() {
  using S = net_spec<Net>;
  const std::size_t np = param_count<Net>(), in = in_width<Net>(), out = out_width<Net>();
  const avector<double> p0 = make_params<double, Net>();
  const dataset<double> d0 = make_dataset<double, Net>(1);
  // Default buffer sizes (usrparms.h: 524288 elements each).  They hold the
  // largest tape here (L: 257k operations, 427k locations, 303k Taylor
  // values), so the tape stays in memory; checked after trace_off.  Larger
  // buffers only slow the replay down: zos_forward with keep allocates the
  // whole Taylor buffer on every call.
  trace_on(tape_tag<Net>());
  {
    std::vector<adouble> p(np), x(in), y(out);
    for (std::size_t j = 0; j < np; ++j) p[j] <<= p0[j];
    for (std::size_t i = 0; i < in; ++i) x[i] <<= d0.x_aos[i];
    for (std::size_t o = 0; o < out; ++o) y[o] <<= d0.y_aos[o];
    std::vector<adouble> a(x.begin(), x.end());
    if constexpr (S::kind == net_kind::mlp) {
      std::size_t k = 0;
      for (std::size_t l = 0; l + 1 < S::dims.size(); ++l) {
        const std::size_t ni = S::dims[l], no = S::dims[l + 1];
        const bool hidden = l + 2 < S::dims.size();
        std::vector<adouble> next(no);
        for (std::size_t o = 0; o < no; ++o) {
          adouble z = p[k + no * ni + o];
          for (std::size_t i = 0; i < ni; ++i) z += p[k + o * ni + i] * a[i];
          if (hidden) {
            next[o] = 0.0;
            condassign(next[o], z, z);  // next = z > 0 ? z : 0
          } else {
            next[o] = z;
          }
        }
        k += no * ni + no;
        a = std::move(next);
      }
    } else {
      const std::size_t w = S::width, per = w * w + w;
      for (std::size_t b = 0; b < S::blocks; ++b) {
        std::vector<adouble> next(w);
        for (std::size_t o = 0; o < w; ++o) {
          adouble z = p[b * per + w * w + o];
          for (std::size_t i = 0; i < w; ++i) z += p[b * per + o * w + i] * a[i];
          adouble r = 0.0;
          condassign(r, z, z);
          next[o] = a[o] + r;
        }
        a = std::move(next);
      }
    }
    adouble loss = 0.0;
    for (std::size_t o = 0; o < out; ++o) {
      adouble r = a[o] - y[o];
      loss += 0.5 * r * r;
    }
    double lv;
    loss >>= lv;
  }
  trace_off();
  std::size_t st[STAT_SIZE];
  tapestats(tape_tag<Net>(), st);
  if (st[OP_FILE_ACCESS] || st[LOC_FILE_ACCESS] || st[VAL_FILE_ACCESS] || st[TAY_STACK_SIZE] > st[TAY_BUFFER_SIZE])
    std::fprintf(stderr, "adolc: tape %d does not fit in memory (%zu ops, %zu taylors): timings include file I/O\n",
                 int(tape_tag<Net>()), st[NUM_OPERATIONS], st[TAY_STACK_SIZE]);
}

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  static const bool recorded = (record<Net>(), true);
  (void)recorded;
  const short tag = tape_tag<Net>();
  const std::size_t np = param_count<Net>(), in = d.in, out = d.out;
  const int n = static_cast<int>(np + in + out);
  thread_local std::vector<double> xin, g, acc;
  xin.resize(std::size_t(n));
  g.resize(std::size_t(n));
  for (std::size_t j = 0; j < np; ++j) xin[j] = double(params[j]);
  double* sum;
  if constexpr (std::is_same_v<T, double>) {
    sum = grad;
  } else {
    acc.resize(np);
    sum = acc.data();
  }
  std::fill(sum, sum + np, 0.0);
  double loss = 0, weight = 1.0;
  for (std::size_t s = 0; s < d.n; ++s) {
    for (std::size_t i = 0; i < in; ++i) xin[np + i] = double(d.x_aos[s * in + i]);
    for (std::size_t o = 0; o < out; ++o) xin[np + in + o] = double(d.y_aos[s * out + o]);
    double ls;
    const int rf = zos_forward(tag, 1, n, 1, xin.data(), &ls);
    const int rr = fos_reverse(tag, 1, n, &weight, g.data());
    if (rf < 0 || rr < 0) {
      std::fprintf(stderr, "adolc: zos_forward/fos_reverse returned %d/%d\n", rf, rr);
      std::abort();
    }
    loss += ls;
    for (std::size_t j = 0; j < np; ++j) sum[j] += g[j];
  }
  if constexpr (!std::is_same_v<T, double>)
    for (std::size_t j = 0; j < np; ++j) grad[j] = T(acc[j]);
  return T(loss);
}

}  // namespace tlbench::peers::adolc_peer
