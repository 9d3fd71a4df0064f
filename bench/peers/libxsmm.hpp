// Peer: LIBXSMM (Debian 12 libxsmm-dev 1.17, static library), the networks
// built from its JIT small-GEMM kernels.  Built in only with
// -DTAPELESS_BENCH_HAVE_LIBXSMM.
//
// The whole batch goes through each layer at once, as in eigen.hpp, but with
// the matrix products done by kernels that LIBXSMM generates for the exact
// shapes (libxsmm_smmdispatch / libxsmm_dmmdispatch).  LIBXSMM's matrices are
// column-major, and its JIT (1.17) generates kernels for C = A B and
// C = A B^T but not for A^T B, so the layouts are chosen to need no A^T:
//   activations and adjoints in SoA, a[unit * n + sample], i.e. an n x width
//   column-major matrix; W row-major (out x in, common.hpp) is the in x out
//   column-major matrix W^T.
//   forward          Z  (n x out) = A (n x in) . W^T            A B
//   backward-data    dA (n x in)  = D (n x out) . W             A B^T (B = W^T as stored)
//   backward-weights gW^T (in x out) = A^T (in x n) . D (n x out)   A B
// gW^T column-major is gW row-major, so the weight gradient lands in grad
// as it is.  The backward-weights product needs the activations in AoS
// (in x n column-major): the input is there already (x_aos), each hidden
// activation is transposed with libxsmm_otrans first (n x width copies, small
// next to the n x in x out products).
// Bias, ReLU, the loss and its adjoint, the bias gradient and the residual
// adds of R are plain loops.  In R the backward-data product of each block
// accumulates into the running adjoint of h (beta = 1), which is that
// block's residual add.
//
// Kernels and buffers are made once per network, type and batch size
// (thread_local cache in loss_grad) and then only called: a timed call
// dispatches nothing and allocates nothing.  All kernels are
// single-threaded.
// ReLU: relu'(z) = 1 for z > 0, else 0 (the kink subgradient 0, as in the
// scalar reference).  float and double.
#pragma once

#include <libxsmm.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace tlbench::peers::libxsmm_peer {

template <class T>
using kernel = std::conditional_t<std::is_same_v<T, float>, libxsmm_smmfunction, libxsmm_dmmfunction>;

// C (m x n, ldc) = A (m x k, lda) . op(B) + beta C, column-major; op(B) = B^T
// with trans_b (then B is n x k, ldb).  Aborts if LIBXSMM cannot JIT the shape.
template <class T>
kernel<T> dispatch(std::size_t m, std::size_t n, std::size_t k, std::size_t lda, std::size_t ldb, std::size_t ldc,
                   bool trans_b, T beta) {
  const libxsmm_blasint M = libxsmm_blasint(m), N = libxsmm_blasint(n), K = libxsmm_blasint(k);
  const libxsmm_blasint la = libxsmm_blasint(lda), lb = libxsmm_blasint(ldb), lc = libxsmm_blasint(ldc);
  const T alpha = 1;
  const int flags = trans_b ? LIBXSMM_GEMM_FLAG_TRANS_B : LIBXSMM_GEMM_FLAG_NONE;
  const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;  // kernels take (a, b, c) only
  kernel<T> f;
  if constexpr (std::is_same_v<T, float>) f = libxsmm_smmdispatch(M, N, K, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
  else f = libxsmm_dmmdispatch(M, N, K, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
  if (!f) {
    std::fprintf(stderr, "libxsmm: no JIT kernel for m=%zu n=%zu k=%zu%s\n", m, n, k, trans_b ? " (B^T)" : "");
    std::abort();
  }
  return f;
}

// The three products of one dense layer (in -> out) over a batch of n.
template <class T>
struct layer_kernels {
  kernel<T> fwd, bwd_data, bwd_weights;
  layer_kernels(std::size_t n, std::size_t in, std::size_t out, T bwd_data_beta)
      : fwd(dispatch<T>(n, out, in, n, in, n, false, T(0))),
        bwd_data(dispatch<T>(n, in, out, n, in, n, true, bwd_data_beta)),
        bwd_weights(dispatch<T>(in, out, n, in, n, in, false, T(0))) {}
};

// gb[o] = sum over the batch of D[o * n + s].
template <class T>
void bias_grad(const T* D, std::size_t n, std::size_t out, T* gb) {
  for (std::size_t o = 0; o < out; ++o) {
    T s = 0;
    for (std::size_t j = 0; j < n; ++j) s += D[o * n + j];
    gb[o] = s;
  }
}

// SoA (n x width) -> AoS (width x n), both column-major.
template <class T>
void to_aos(const T* soa, std::size_t n, std::size_t width, T* aos) {
  libxsmm_otrans(aos, soa, sizeof(T), libxsmm_blasint(n), libxsmm_blasint(width), libxsmm_blasint(n),
                 libxsmm_blasint(width));
}

template <class T, std::size_t NDims>
struct mlp_state {
  static constexpr std::size_t NL = NDims - 1;
  std::vector<layer_kernels<T>> k;
  std::vector<avector<T>> act;  // act[l], l >= 1: SoA output of layer l - 1 (after ReLU)
  avector<T> aos, d, da;        // scratch: one activation in AoS, two adjoints in SoA
  std::size_t off[NL];

  mlp_state(const std::array<std::size_t, NDims>& dims, std::size_t n) : act(NL + 1) {
    std::size_t widest = 0, p = 0;
    for (std::size_t l = 0; l < NL; ++l) {
      k.emplace_back(n, dims[l], dims[l + 1], T(0));
      act[l + 1].resize(n * dims[l + 1]);
      widest = std::max(widest, dims[l + 1]);
      off[l] = p;
      p += dims[l + 1] * dims[l] + dims[l + 1];
    }
    aos.resize(n * widest);
    d.resize(n * widest);
    da.resize(n * widest);
  }
};

template <class T, std::size_t NDims>
T mlp(const std::array<std::size_t, NDims>& dims, mlp_state<T, NDims>& st, const T* params, const dataset<T>& data,
      T* grad) {
  constexpr std::size_t NL = NDims - 1;
  const std::size_t n = data.n;

  // Forward: act[l + 1] = relu(act[l] . W^T + b) (no ReLU on the last layer).
  const T* a = data.x_soa.data();
  for (std::size_t l = 0; l < NL; ++l) {
    const T* W = params + st.off[l];
    const T* b = W + dims[l + 1] * dims[l];
    T* z = st.act[l + 1].data();
    st.k[l].fwd(a, W, z);
    const bool hidden = l + 1 < NL;
    for (std::size_t o = 0; o < dims[l + 1]; ++o)
      for (std::size_t s = 0; s < n; ++s) {
        const T v = z[o * n + s] + b[o];
        z[o * n + s] = (hidden && !(v > T(0))) ? T(0) : v;
      }
    a = z;
  }

  // Loss and its adjoint d = yhat - y.
  T* d = st.d.data();
  const T* yhat = st.act[NL].data();
  const T* y = data.y_soa.data();
  T loss = 0;
  for (std::size_t j = 0; j < n * dims[NL]; ++j) {
    const T r = yhat[j] - y[j];
    loss += T(0.5) * r * r;
    d[j] = r;
  }

  // Backward, d = d loss / d z of layer l.
  T* da = st.da.data();
  for (std::size_t l = NL; l-- > 0;) {
    const T* W = params + st.off[l];
    T* gW = grad + st.off[l];
    const T* a_aos = data.x_aos.data();
    if (l > 0) {
      to_aos(st.act[l].data(), n, dims[l], st.aos.data());
      a_aos = st.aos.data();
    }
    st.k[l].bwd_weights(a_aos, d, gW);
    bias_grad(d, n, dims[l + 1], gW + dims[l + 1] * dims[l]);
    if (l == 0) break;
    st.k[l].bwd_data(d, W, da);
    const T* in = st.act[l].data();  // relu output: > 0 exactly where z > 0
    for (std::size_t j = 0; j < n * dims[l]; ++j) da[j] = in[j] > T(0) ? da[j] : T(0);
    std::swap(d, da);
  }
  return loss;
}

template <class T>
struct residual_state {
  layer_kernels<T> k;
  std::vector<avector<T>> h, r;  // h[k] enters block k (h[0] unused: x_soa), r[k] its ReLU branch; SoA
  avector<T> aos, g, d;          // scratch: h[k] in AoS; d loss / d h; d loss / d z

  residual_state(std::size_t width, std::size_t blocks, std::size_t n)
      : k(n, width, width, T(1)), h(blocks + 1), r(blocks), aos(n * width), g(n * width), d(n * width) {
    for (std::size_t b = 1; b <= blocks; ++b) h[b].resize(n * width);
    for (auto& rb : r) rb.resize(n * width);
  }
};

template <class T>
T residual(std::size_t width, std::size_t blocks, residual_state<T>& st, const T* params, const dataset<T>& data,
           T* grad) {
  const std::size_t n = data.n, w = width, per = w * w + w, nw = n * w;
  auto h = [&](std::size_t b) { return b == 0 ? data.x_soa.data() : st.h[b].data(); };

  // Forward: r[b] = relu(h[b] . W^T + b), h[b + 1] = h[b] + r[b].
  for (std::size_t b = 0; b < blocks; ++b) {
    const T* W = params + b * per;
    const T* bias = W + w * w;
    T* rb = st.r[b].data();
    st.k.fwd(h(b), W, rb);
    const T* hb = h(b);
    T* hn = st.h[b + 1].data();
    for (std::size_t o = 0; o < w; ++o)
      for (std::size_t s = 0; s < n; ++s) {
        const T v = rb[o * n + s] + bias[o];
        rb[o * n + s] = v > T(0) ? v : T(0);
        hn[o * n + s] = hb[o * n + s] + rb[o * n + s];
      }
  }

  // Loss and g = d loss / d h[blocks].
  T* g = st.g.data();
  const T* y = data.y_soa.data();
  const T* hl = st.h[blocks].data();
  T loss = 0;
  for (std::size_t j = 0; j < nw; ++j) {
    const T e = hl[j] - y[j];
    loss += T(0.5) * e * e;
    g[j] = e;
  }

  // Backward: d = relu'(r[b]) g; gW, gb; g += d . W (the residual add).
  T* d = st.d.data();
  for (std::size_t b = blocks; b-- > 0;) {
    const T* W = params + b * per;
    T* gW = grad + b * per;
    const T* rb = st.r[b].data();
    for (std::size_t j = 0; j < nw; ++j) d[j] = rb[j] > T(0) ? g[j] : T(0);
    const T* h_aos = data.x_aos.data();
    if (b > 0) {
      to_aos(st.h[b].data(), n, w, st.aos.data());
      h_aos = st.aos.data();
    }
    st.k.bwd_weights(h_aos, d, gW);
    bias_grad(d, n, w, gW + w * w);
    if (b > 0) st.k.bwd_data(d, W, g);  // beta = 1: g += d . W
  }
  return loss;
}

// One state (kernels and buffers) per network, type and batch size, made on
// the first call with that batch size.
template <class State, class... Args>
State& cached(std::map<std::size_t, std::unique_ptr<State>>& cache, std::size_t n, const Args&... args) {
  auto& slot = cache[n];
  if (!slot) slot = std::make_unique<State>(args..., n);
  return *slot;
}

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) {
    thread_local std::map<std::size_t, std::unique_ptr<mlp_state<T, S::dims.size()>>> cache;
    return mlp<T>(S::dims, cached(cache, d.n, S::dims), params, d, grad);
  } else {
    thread_local std::map<std::size_t, std::unique_ptr<residual_state<T>>> cache;
    return residual<T>(S::width, S::blocks, cached(cache, d.n, S::width, S::blocks), params, d, grad);
  }
}

inline void describe() {
  libxsmm_init();
  std::fprintf(stderr, "libxsmm %s: JIT target %s, single-threaded kernels\n", LIBXSMM_VERSION,
               libxsmm_get_target_arch());
  benchmark::AddCustomContext("libxsmm", std::string(LIBXSMM_VERSION) + ", JIT target " + libxsmm_get_target_arch());
}

}  // namespace tlbench::peers::libxsmm_peer
