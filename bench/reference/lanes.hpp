// Hand-written xsimd lane-batch reference ("as a careful human would").
//
// One sample per SIMD lane: the code reads x_soa / y_soa, so lane j of a
// register holding feature i of lane group g is sample g*N + j (N = lanes per
// register: 16 floats / 8 doubles with AVX-512).  Weights are broadcast.
// Weight gradients are per-lane adjoint accumulators (a register per weight
// per block, lane j accumulating sample j's contribution) reduced with one
// horizontal sum per chunk of samples (N of them at once, hadd_n); with the default chunk = the whole
// batch that is one horizontal sum per weight per batch.
//
// Two variants:
//   *_unblocked  one lane group at a time through the whole network, one
//                output at a time; the per-lane weight-gradient accumulators
//                live in memory (one register's worth per parameter) and are
//                reduced once at the end.  The straightforward translation
//                of the scalar loop to lanes.
//   *_blocked    layer by layer over a chunk of samples, every matrix kernel
//                register-blocked:
//                  forward  z = W a + b:   OB outputs x LG lane groups of
//                           accumulators per step over the inputs; each input
//                           load feeds OB FMAs, each weight broadcast LG FMAs;
//                  dW += delta a^T:        OBW outputs x IBW inputs of per-lane
//                           accumulators over all lane groups of the chunk, then
//                           reduced with hadd_n (N horizontal sums at once);
//                  da = W^T delta (masked by relu'): IBX inputs x LGX lane
//                           groups per step over the outputs.
//                Tails (remaining outputs / inputs / lane groups) use the same
//                kernels instantiated with smaller blocks; a batch that is
//                not a multiple of N is padded with zero lanes whose loss
//                adjoint is masked to 0, so padding adds nothing to loss or
//                gradient.
//                Network S (2-2-1) has its own fully unrolled kernel: all nine
//                parameters in registers, UG lane groups per iteration, two
//                interleaved accumulator sets.
//
// Scratch buffers are thread_local and reused across calls (no allocation in
// the timed steady state).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include <tapeless/simd/xsimd_compat.hpp>  // reduce_add: xsimd::hadd, renamed in xsimd 9
#include <xsimd/xsimd.hpp>

#include "common.hpp"

namespace tlbench::lanes {

using arch = xsimd::default_arch;
template <class T>
using vec = xsimd::batch<T, arch>;
template <class T>
using vbool = xsimd::batch_bool<T, arch>;

namespace detail {

using std::size_t;

// Call f(std::integral_constant<int, r>) for a runtime r in [1, Max].
template <int Max, class F>
inline void static_dispatch(int r, F&& f) {
  [&]<int... K>(std::integer_sequence<int, K...>) {
    ((r == K + 1 ? (f(std::integral_constant<int, K + 1>{}), 0) : 0), ...);
  }(std::make_integer_sequence<int, Max>{});
}

// Lanes j < valid (valid may be <= 0 or >= N).
template <class T>
inline vbool<T> lanes_below(std::ptrdiff_t valid) {
  constexpr size_t N = vec<T>::size;
  alignas(64) T iota[N];
  for (size_t j = 0; j < N; ++j) iota[j] = T(j);
  return vec<T>::load_aligned(iota) < vec<T>(T(valid));
}

// out[k] = sum over the lanes of v[k], k < N: N horizontal sums at once (a
// transposing add tree, ~2 shuffles + 1 add per register).  xsimd 8.1's own
// haddp permutes its AVX-512 float result (lanes 2-5 and 10-13 come out
// swapped; checked against hadd), so it is not used.
template <class T>
inline void hadd_n(const vec<T>* v, T* out) {
  constexpr std::size_t N = vec<T>::size;
#if defined(__AVX512F__)
  if constexpr (sizeof(vec<T>) == 64 && std::is_same_v<T, float>) {
    __m512 l1[8], l2[4], l3[2];
    for (int k = 0; k < 8; ++k) {  // [v_2k partial (8) | v_2k+1 partial (8)]
      const __m512 a = v[2 * k], b = v[2 * k + 1];
      l1[k] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    }
    for (int k = 0; k < 4; ++k)  // 128-bit lane j: partial (4) of v_4k+j
      l2[k] = _mm512_add_ps(_mm512_shuffle_f32x4(l1[2 * k], l1[2 * k + 1], 0x88),
                            _mm512_shuffle_f32x4(l1[2 * k], l1[2 * k + 1], 0xDD));
    for (int k = 0; k < 2; ++k)  // lane j: [v_8k+j (2), v_8k+4+j (2)]
      l3[k] = _mm512_add_ps(_mm512_shuffle_ps(l2[2 * k], l2[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                            _mm512_shuffle_ps(l2[2 * k], l2[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    // lane j: [v_j, v_4+j, v_8+j, v_12+j]
    const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(l3[0], l3[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(l3[0], l3[1], _MM_SHUFFLE(3, 1, 3, 1)));
    alignas(64) float t[16];
    _mm512_store_ps(t, r);
    for (int p = 0; p < 16; ++p) out[(p % 4) * 4 + p / 4] = t[p];
    return;
  } else if constexpr (sizeof(vec<T>) == 64 && std::is_same_v<T, double>) {
    __m512d l1[4], l2[2];
    for (int k = 0; k < 4; ++k) {
      const __m512d a = v[2 * k], b = v[2 * k + 1];
      l1[k] = _mm512_add_pd(_mm512_shuffle_f64x2(a, b, 0x44), _mm512_shuffle_f64x2(a, b, 0xEE));
    }
    for (int k = 0; k < 2; ++k)  // lane j: partial (2) of v_4k+j
      l2[k] = _mm512_add_pd(_mm512_shuffle_f64x2(l1[2 * k], l1[2 * k + 1], 0x88),
                            _mm512_shuffle_f64x2(l1[2 * k], l1[2 * k + 1], 0xDD));
    // lane j: [v_j, v_4+j]
    const __m512d r = _mm512_add_pd(_mm512_unpacklo_pd(l2[0], l2[1]), _mm512_unpackhi_pd(l2[0], l2[1]));
    alignas(64) double t[8];
    _mm512_store_pd(t, r);
    for (int p = 0; p < 8; ++p) out[p / 2 + 4 * (p % 2)] = t[p];
    return;
  }
#endif
  for (std::size_t k = 0; k < N; ++k) out[k] = ::tapeless::detail::reduce_add(v[k]);
}

// gW[o][i] += sum over lanes of acc[ob][ib]; N sums at once with hadd_n.
template <class T, int OB, int IB>
inline void reduce_add(const vec<T> (&acc)[OB][IB], T* gW, size_t ldw) {
  constexpr size_t N = vec<T>::size;
  constexpr int K = OB * IB;
  const vec<T>* flat = &acc[0][0];
  int k = 0;
  if constexpr (K >= int(N)) {
    T tmp[N];
    for (; k + int(N) <= K; k += int(N)) {
      hadd_n<T>(flat + k, tmp);
      for (int j = 0; j < int(N); ++j) gW[size_t((k + j) / IB) * ldw + size_t((k + j) % IB)] += tmp[j];
    }
  }
  for (; k < K; ++k) gW[size_t(k / IB) * ldw + size_t(k % IB)] += ::tapeless::detail::reduce_add(flat[k]);
}

// Keep a loaded value in a register.  GCC 12 otherwise folds the load into
// every FMA that uses it (one load uop per FMA instead of one per register
// block), which makes the blocked kernels load-bound.  The empty asm makes the
// value opaque, so it is loaded once and reused.
template <class T>
inline void pin(vec<T>& x) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+v"(x.data));
#else
  (void)x;
#endif
}

enum class out_mode { linear, relu, loss };

// ---- forward: Y[o][c] = act(b[o] + sum_i W[o][i] X[i][c]) for OB outputs
// starting at o0 and LG lane groups starting at sample c0.  In loss mode Y is
// the target, D receives the (masked) adjoint yhat - y and lacc += D^2.
template <class T, int OB, int LG, out_mode M>
inline void fwd_block(const T* W, const T* b, size_t in, size_t o0, const T* X, size_t ldx, const T* Yt, size_t ldy,
                      T* D, size_t ldd, size_t c0, std::ptrdiff_t valid, vec<T>& lacc) {
  using V = vec<T>;
  constexpr size_t N = V::size;
  V acc[OB][LG];
  for (int ob = 0; ob < OB; ++ob) {
    const V bb(b[o0 + ob]);
    for (int g = 0; g < LG; ++g) acc[ob][g] = bb;
  }
  const T* w = W + o0 * in;
  for (size_t i = 0; i < in; ++i) {
    V x[LG];
    for (int g = 0; g < LG; ++g) {
      x[g] = V::load_unaligned(X + i * ldx + c0 + g * N);
      if constexpr (OB > 1) pin<T>(x[g]);
    }
    for (int ob = 0; ob < OB; ++ob) {
      const V wb(w[ob * in + i]);
      for (int g = 0; g < LG; ++g) acc[ob][g] = xsimd::fma(wb, x[g], acc[ob][g]);
    }
  }
  for (int ob = 0; ob < OB; ++ob)
    for (int g = 0; g < LG; ++g) {
      const size_t c = c0 + g * N;
      if constexpr (M == out_mode::loss) {
        V r = acc[ob][g] - V::load_unaligned(Yt + (o0 + ob) * ldy + c);
        if (std::ptrdiff_t(c + N) > valid) r = xsimd::select(lanes_below<T>(valid - std::ptrdiff_t(c)), r, V(T(0)));
        lacc = xsimd::fma(r, r, lacc);
        r.store_unaligned(D + (o0 + ob) * ldd + c);
      } else if constexpr (M == out_mode::relu) {
        xsimd::max(acc[ob][g], V(T(0))).store_unaligned(D + (o0 + ob) * ldd + c);
      } else {
        acc[ob][g].store_unaligned(D + (o0 + ob) * ldd + c);
      }
    }
}

// Whole layer over C samples (C a multiple of N).
template <class T, int OB, int LG, out_mode M>
inline void fwd_layer(const T* W, const T* b, size_t in, size_t out, const T* X, size_t ldx, const T* Yt, size_t ldy,
                      T* D, size_t ldd, size_t C, std::ptrdiff_t valid, vec<T>& lacc) {
  constexpr size_t N = vec<T>::size;
  auto col = [&](auto lg, size_t c0) {
    constexpr int G = decltype(lg)::value;
    size_t o0 = 0;
    for (; o0 + OB <= out; o0 += OB) fwd_block<T, OB, G, M>(W, b, in, o0, X, ldx, Yt, ldy, D, ldd, c0, valid, lacc);
    if (o0 < out)
      static_dispatch<OB - 1>(int(out - o0), [&](auto ob) {
        fwd_block<T, decltype(ob)::value, G, M>(W, b, in, o0, X, ldx, Yt, ldy, D, ldd, c0, valid, lacc);
      });
  };
  size_t c0 = 0;
  for (; c0 + LG * N <= C; c0 += LG * N) col(std::integral_constant<int, LG>{}, c0);
  if (c0 < C) {
    if constexpr (LG > 1) static_dispatch<LG - 1>(int((C - c0) / N), [&](auto g) { col(g, c0); });
  }
}

// ---- dW[o][i] += sum_c D[o][c] X[i][c]: OB x IB per-lane accumulators over
// all C samples, then hadd_n.
template <class T, int OB, int IB>
inline void dw_block(const T* D, size_t ldd, const T* X, size_t ldx, size_t o0, size_t i0, size_t C, T* gW,
                     size_t in) {
  using V = vec<T>;
  constexpr size_t N = V::size;
  V acc[OB][IB];
  for (int ob = 0; ob < OB; ++ob)
    for (int ib = 0; ib < IB; ++ib) acc[ob][ib] = V(T(0));
  const T* d0 = D + o0 * ldd;
  const T* x0 = X + i0 * ldx;
  for (size_t c = 0; c < C; c += N) {
    V d[OB], x[IB];
    for (int ob = 0; ob < OB; ++ob) {
      d[ob] = V::load_unaligned(d0 + ob * ldd + c);
      if constexpr (IB > 1) pin<T>(d[ob]);
    }
    for (int ib = 0; ib < IB; ++ib) {
      x[ib] = V::load_unaligned(x0 + ib * ldx + c);
      if constexpr (OB > 1) pin<T>(x[ib]);
    }
    for (int ob = 0; ob < OB; ++ob)
      for (int ib = 0; ib < IB; ++ib) acc[ob][ib] = xsimd::fma(d[ob], x[ib], acc[ob][ib]);
  }
  reduce_add<T, OB, IB>(acc, gW + o0 * in + i0, in);
}

template <class T, int OB, int IB>
inline void dw_layer(const T* D, size_t ldd, const T* X, size_t ldx, size_t in, size_t out, size_t C, T* gW) {
  auto row = [&](auto obc, size_t o0) {
    constexpr int O = decltype(obc)::value;
    size_t i0 = 0;
    for (; i0 + IB <= in; i0 += IB) dw_block<T, O, IB>(D, ldd, X, ldx, o0, i0, C, gW, in);
    if (i0 < in)
      static_dispatch<IB - 1>(int(in - i0), [&](auto ib) {
        dw_block<T, O, decltype(ib)::value>(D, ldd, X, ldx, o0, i0, C, gW, in);
      });
  };
  size_t o0 = 0;
  for (; o0 + OB <= out; o0 += OB) row(std::integral_constant<int, OB>{}, o0);
  if (o0 < out) static_dispatch<OB - 1>(int(out - o0), [&](auto ob) { row(ob, o0); });
}

// ---- db[o] += sum_c D[o][c], 8 outputs (independent chains) at a time.
template <class T, int OB>
inline void db_block(const T* D, size_t ldd, size_t o0, size_t C, T* gb) {
  using V = vec<T>;
  constexpr size_t N = V::size;
  V acc[OB];
  for (int ob = 0; ob < OB; ++ob) acc[ob] = V(T(0));
  for (size_t c = 0; c < C; c += N)
    for (int ob = 0; ob < OB; ++ob) acc[ob] += V::load_unaligned(D + (o0 + ob) * ldd + c);
  for (int ob = 0; ob < OB; ++ob) gb[o0 + ob] += ::tapeless::detail::reduce_add(acc[ob]);
}
template <class T>
inline void db_layer(const T* D, size_t ldd, size_t out, size_t C, T* gb) {
  size_t o0 = 0;
  for (; o0 + 8 <= out; o0 += 8) db_block<T, 8>(D, ldd, o0, C, gb);
  if (o0 < out) static_dispatch<7>(int(out - o0), [&](auto ob) { db_block<T, decltype(ob)::value>(D, ldd, o0, C, gb); });
}

// ---- P[i][c] = sum_o W[o][i] D[o][c], then either masked by relu'
// (A[i][c] > 0, A = relu output; Residual = false) or added to P
// (Residual = true: P <- P + W^T D).  P may alias A.
template <class T, int IB, int LG, bool Residual>
inline void dx_block(const T* W, size_t in, size_t out, const T* D, size_t ldd, const T* A, size_t lda, T* P,
                     size_t ldp, size_t i0, size_t c0) {
  using V = vec<T>;
  constexpr size_t N = V::size;
  V acc[IB][LG];
  for (int ib = 0; ib < IB; ++ib)
    for (int g = 0; g < LG; ++g)
      acc[ib][g] = Residual ? V::load_unaligned(P + (i0 + ib) * ldp + c0 + g * N) : V(T(0));
  for (size_t o = 0; o < out; ++o) {
    V d[LG];
    for (int g = 0; g < LG; ++g) {
      d[g] = V::load_unaligned(D + o * ldd + c0 + g * N);
      if constexpr (IB > 1) pin<T>(d[g]);
    }
    const T* w = W + o * in + i0;
    for (int ib = 0; ib < IB; ++ib) {
      const V wb(w[ib]);
      for (int g = 0; g < LG; ++g) acc[ib][g] = xsimd::fma(wb, d[g], acc[ib][g]);
    }
  }
  for (int ib = 0; ib < IB; ++ib)
    for (int g = 0; g < LG; ++g) {
      const size_t c = c0 + g * N;
      if constexpr (Residual) {
        acc[ib][g].store_unaligned(P + (i0 + ib) * ldp + c);
      } else {
        const V a = V::load_unaligned(A + (i0 + ib) * lda + c);
        xsimd::select(a > V(T(0)), acc[ib][g], V(T(0))).store_unaligned(P + (i0 + ib) * ldp + c);
      }
    }
}

template <class T, int IB, int LG, bool Residual>
inline void dx_layer(const T* W, size_t in, size_t out, const T* D, size_t ldd, const T* A, size_t lda, T* P,
                     size_t ldp, size_t C) {
  constexpr size_t N = vec<T>::size;
  auto col = [&](auto lg, size_t c0) {
    constexpr int G = decltype(lg)::value;
    size_t i0 = 0;
    for (; i0 + IB <= in; i0 += IB) dx_block<T, IB, G, Residual>(W, in, out, D, ldd, A, lda, P, ldp, i0, c0);
    if (i0 < in)
      static_dispatch<IB - 1>(int(in - i0), [&](auto ib) {
        dx_block<T, decltype(ib)::value, G, Residual>(W, in, out, D, ldd, A, lda, P, ldp, i0, c0);
      });
  };
  size_t c0 = 0;
  for (; c0 + LG * N <= C; c0 += LG * N) col(std::integral_constant<int, LG>{}, c0);
  if (c0 < C) {
    if constexpr (LG > 1) static_dispatch<LG - 1>(int((C - c0) / N), [&](auto g) { col(g, c0); });
  }
}

// ---- residual forward: r = relu(b + W h), Hn = h + r (stores r and Hn).
template <class T, int OB, int LG>
inline void res_fwd_block(const T* W, const T* b, size_t w, size_t o0, const T* H, T* R, T* Hn, size_t ld,
                          size_t c0) {
  using V = vec<T>;
  constexpr size_t N = V::size;
  V acc[OB][LG];
  for (int ob = 0; ob < OB; ++ob) {
    const V bb(b[o0 + ob]);
    for (int g = 0; g < LG; ++g) acc[ob][g] = bb;
  }
  const T* wr = W + o0 * w;
  for (size_t i = 0; i < w; ++i) {
    V x[LG];
    for (int g = 0; g < LG; ++g) {
      x[g] = V::load_unaligned(H + i * ld + c0 + g * N);
      if constexpr (OB > 1) pin<T>(x[g]);
    }
    for (int ob = 0; ob < OB; ++ob) {
      const V wb(wr[ob * w + i]);
      for (int g = 0; g < LG; ++g) acc[ob][g] = xsimd::fma(wb, x[g], acc[ob][g]);
    }
  }
  for (int ob = 0; ob < OB; ++ob)
    for (int g = 0; g < LG; ++g) {
      const size_t off = (o0 + ob) * ld + c0 + g * N;
      const V r = xsimd::max(acc[ob][g], V(T(0)));
      r.store_unaligned(R + off);
      (V::load_unaligned(H + off) + r).store_unaligned(Hn + off);
    }
}

// Workspace that keeps its capacity between calls.
template <class T, class Tag>
T* scratch(std::size_t count) {
  thread_local avector<T> buf;
  if (buf.size() < count) buf.resize(count);
  return buf.data();
}
struct tag_unblocked {};
struct tag_blocked {};
struct tag_res {};
struct tag_tail {};

// Copy samples [c_begin, c_begin + valid) of a SoA array (rows x n) into a
// zero-padded rows x C buffer.
template <class T>
void copy_tail(const T* src, size_t rows, size_t n, size_t c_begin, size_t valid, T* dst, size_t C) {
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(dst + r * C, src + r * n + c_begin, valid * sizeof(T));
    std::fill(dst + r * C + valid, dst + (r + 1) * C, T(0));
  }
}

}  // namespace detail

// ===========================================================================
// Unblocked: one lane group at a time, per-lane gradient accumulators in
// memory, one hadd per parameter at the end.
template <class T, std::size_t NDims>
T mlp_unblocked(const std::array<std::size_t, NDims>& dims, const T* params, const dataset<T>& d, T* grad) {
  using V = vec<T>;
  using std::size_t;
  constexpr size_t N = V::size;
  constexpr size_t NL = NDims - 1;
  size_t off[NL], aoff[NL + 1], np = 0, na = 0, widest = 0;
  for (size_t l = 0; l < NL; ++l) {
    off[l] = np;
    np += dims[l + 1] * dims[l] + dims[l + 1];
  }
  for (size_t l = 0; l <= NL; ++l) {
    aoff[l] = na;
    na += dims[l];
    widest = std::max(widest, dims[l]);
  }
  // layout (in registers' worth): gacc[np] | act[na] | delta[widest] | dprev[widest]
  T* ws = detail::scratch<T, detail::tag_unblocked>((np + na + 2 * widest) * N);
  V* gacc = reinterpret_cast<V*>(ws);
  V* act = gacc + np;
  V* delta = act + na;
  V* dprev = delta + widest;
  for (size_t j = 0; j < np; ++j) gacc[j] = V(T(0));
  V lacc(T(0));
  alignas(64) T tmp[N];
  const size_t n = d.n;
  for (size_t c = 0; c < n; c += N) {
    const std::ptrdiff_t valid = std::ptrdiff_t(std::min(N, n - c));
    auto load = [&](const T* row) {
      if (valid == std::ptrdiff_t(N)) return V::load_unaligned(row + c);
      for (size_t j = 0; j < N; ++j) tmp[j] = j < size_t(valid) ? row[c + j] : T(0);
      return V::load_aligned(tmp);
    };
    for (size_t i = 0; i < dims[0]; ++i) act[i] = load(d.x_soa.data() + i * n);
    for (size_t l = 0; l < NL; ++l) {
      const T* W = params + off[l];
      const T* b = W + dims[l + 1] * dims[l];
      const V* a = act + aoff[l];
      V* z = act + aoff[l + 1];
      for (size_t o = 0; o < dims[l + 1]; ++o) {
        V s(b[o]);
        for (size_t i = 0; i < dims[l]; ++i) s = xsimd::fma(V(W[o * dims[l] + i]), a[i], s);
        z[o] = (l + 1 < NL) ? xsimd::max(s, V(T(0))) : s;
      }
    }
    const vbool<T> m = detail::lanes_below<T>(valid);
    for (size_t o = 0; o < dims[NL]; ++o) {
      V r = act[aoff[NL] + o] - load(d.y_soa.data() + o * n);
      r = xsimd::select(m, r, V(T(0)));
      lacc = xsimd::fma(r, r, lacc);
      delta[o] = r;
    }
    for (size_t l = NL; l-- > 0;) {
      const T* W = params + off[l];
      V* gW = gacc + off[l];
      V* gb = gW + dims[l + 1] * dims[l];
      const V* a = act + aoff[l];
      for (size_t o = 0; o < dims[l + 1]; ++o) {
        gb[o] += delta[o];
        for (size_t i = 0; i < dims[l]; ++i) gW[o * dims[l] + i] = xsimd::fma(delta[o], a[i], gW[o * dims[l] + i]);
      }
      if (l == 0) break;
      for (size_t i = 0; i < dims[l]; ++i) {
        V s(T(0));
        for (size_t o = 0; o < dims[l + 1]; ++o) s = xsimd::fma(V(W[o * dims[l] + i]), delta[o], s);
        dprev[i] = xsimd::select(a[i] > V(T(0)), s, V(T(0)));
      }
      std::copy(dprev, dprev + dims[l], delta);
    }
  }
  for (size_t j = 0; j < np; ++j) grad[j] = ::tapeless::detail::reduce_add(gacc[j]);
  return T(0.5) * ::tapeless::detail::reduce_add(lacc);
}

template <class T>
T residual_unblocked(std::size_t w, std::size_t blocks, const T* params, const dataset<T>& d, T* grad) {
  using V = vec<T>;
  using std::size_t;
  constexpr size_t N = V::size;
  const size_t per = w * w + w, np = blocks * per;
  T* ws = detail::scratch<T, detail::tag_unblocked>((np + (blocks + 1) * w + blocks * w + 2 * w) * N);
  V* gacc = reinterpret_cast<V*>(ws);
  V* h = gacc + np;
  V* r = h + (blocks + 1) * w;
  V* g = r + blocks * w;
  V* delta = g + w;
  for (size_t j = 0; j < np; ++j) gacc[j] = V(T(0));
  V lacc(T(0));
  alignas(64) T tmp[N];
  const size_t n = d.n;
  for (size_t c = 0; c < n; c += N) {
    const std::ptrdiff_t valid = std::ptrdiff_t(std::min(N, n - c));
    auto load = [&](const T* row) {
      if (valid == std::ptrdiff_t(N)) return V::load_unaligned(row + c);
      for (size_t j = 0; j < N; ++j) tmp[j] = j < size_t(valid) ? row[c + j] : T(0);
      return V::load_aligned(tmp);
    };
    for (size_t i = 0; i < w; ++i) h[i] = load(d.x_soa.data() + i * n);
    for (size_t k = 0; k < blocks; ++k) {
      const T* W = params + k * per;
      const T* b = W + w * w;
      for (size_t o = 0; o < w; ++o) {
        V s(b[o]);
        for (size_t i = 0; i < w; ++i) s = xsimd::fma(V(W[o * w + i]), h[k * w + i], s);
        r[k * w + o] = xsimd::max(s, V(T(0)));
        h[(k + 1) * w + o] = h[k * w + o] + r[k * w + o];
      }
    }
    const vbool<T> m = detail::lanes_below<T>(valid);
    for (size_t o = 0; o < w; ++o) {
      V e = xsimd::select(m, h[blocks * w + o] - load(d.y_soa.data() + o * n), V(T(0)));
      lacc = xsimd::fma(e, e, lacc);
      g[o] = e;
    }
    for (size_t k = blocks; k-- > 0;) {
      const T* W = params + k * per;
      V* gW = gacc + k * per;
      V* gb = gW + w * w;
      for (size_t o = 0; o < w; ++o) {
        delta[o] = xsimd::select(r[k * w + o] > V(T(0)), g[o], V(T(0)));
        gb[o] += delta[o];
        for (size_t i = 0; i < w; ++i) gW[o * w + i] = xsimd::fma(delta[o], h[k * w + i], gW[o * w + i]);
      }
      for (size_t i = 0; i < w; ++i) {
        V s = g[i];
        for (size_t o = 0; o < w; ++o) s = xsimd::fma(V(W[o * w + i]), delta[o], s);
        g[i] = s;
      }
    }
  }
  for (size_t j = 0; j < np; ++j) grad[j] = ::tapeless::detail::reduce_add(gacc[j]);
  return T(0.5) * ::tapeless::detail::reduce_add(lacc);
}

// ===========================================================================
// Blocked.

// Block sizes (see the header comment).  Chunk = samples per layer-wise pass
// (rounded up to a multiple of N); 0 = the whole batch.
struct blocking {
  int fwd_ob = 4, fwd_lg = 4;  // forward: outputs x lane groups
  int dw_ob = 4, dw_ib = 4;    // dW: outputs x inputs (per-lane accumulators)
  int dx_ib = 4, dx_lg = 4;    // dx: inputs x lane groups
  std::size_t chunk = 0;
};

template <class T, std::size_t NDims, blocking Bk>
T mlp_blocked(const std::array<std::size_t, NDims>& dims, const T* params, const dataset<T>& d, T* grad) {
  using V = vec<T>;
  using std::size_t;
  using detail::out_mode;
  constexpr size_t N = V::size;
  constexpr size_t NL = NDims - 1;
  const size_t n = d.n;
  const size_t C = Bk.chunk == 0 ? (n + N - 1) / N * N : (Bk.chunk + N - 1) / N * N;

  size_t off[NL], np = 0;
  for (size_t l = 0; l < NL; ++l) {
    off[l] = np;
    np += dims[l + 1] * dims[l] + dims[l + 1];
  }
  // act[l] (l = 1..NL-1: relu outputs, overwritten in place by their
  // adjoints during the backward pass), dout (NL: output adjoint), tails.
  size_t aoff[NL + 1], na = 0;
  for (size_t l = 1; l <= NL; ++l) {
    aoff[l] = na;
    na += dims[l] * C;
  }
  const size_t tail_x = dims[0] * C, tail_y = dims[NL] * C;
  T* ws = detail::scratch<T, detail::tag_blocked>(na + tail_x + tail_y);
  T* xt = ws + na;
  T* yt = xt + tail_x;
  std::fill(grad, grad + np, T(0));

  V lacc(T(0));
  for (size_t c_begin = 0; c_begin < n; c_begin += C) {
    const size_t valid = std::min(C, n - c_begin);
    const size_t Ce = (valid + N - 1) / N * N;  // samples processed (padded)
    const T* X0;
    const T* Y0;
    size_t ldx, ldy;
    if (valid == C || valid == Ce) {
      X0 = d.x_soa.data() + c_begin;
      Y0 = d.y_soa.data() + c_begin;
      ldx = ldy = n;  // full chunk, or a partial one that is a multiple of N: read in place
    } else {
      detail::copy_tail(d.x_soa.data(), dims[0], n, c_begin, valid, xt, Ce);
      detail::copy_tail(d.y_soa.data(), dims[NL], n, c_begin, valid, yt, Ce);
      X0 = xt;
      Y0 = yt;
      ldx = ldy = Ce;
    }
    auto A = [&](size_t l) -> T* { return ws + aoff[l]; };  // ld = C
    // forward
    for (size_t l = 0; l < NL; ++l) {
      const T* W = params + off[l];
      const T* b = W + dims[l + 1] * dims[l];
      const T* X = l == 0 ? X0 : A(l);
      const size_t lx = l == 0 ? ldx : C;
      if (l + 1 < NL)
        detail::fwd_layer<T, Bk.fwd_ob, Bk.fwd_lg, out_mode::relu>(W, b, dims[l], dims[l + 1], X, lx, nullptr, 0,
                                                                   A(l + 1), C, Ce, std::ptrdiff_t(valid), lacc);
      else
        detail::fwd_layer<T, Bk.fwd_ob, Bk.fwd_lg, out_mode::loss>(W, b, dims[l], dims[l + 1], X, lx, Y0, ldy,
                                                                   A(l + 1), C, Ce, std::ptrdiff_t(valid), lacc);
    }
    // backward: A(l+1) holds the adjoint of layer l's output
    for (size_t l = NL; l-- > 0;) {
      const T* W = params + off[l];
      T* gW = grad + off[l];
      T* gb = gW + dims[l + 1] * dims[l];
      const T* X = l == 0 ? X0 : A(l);
      const size_t lx = l == 0 ? ldx : C;
      detail::dw_layer<T, Bk.dw_ob, Bk.dw_ib>(A(l + 1), C, X, lx, dims[l], dims[l + 1], Ce, gW);
      detail::db_layer<T>(A(l + 1), C, dims[l + 1], Ce, gb);
      if (l > 0)
        detail::dx_layer<T, Bk.dx_ib, Bk.dx_lg, false>(W, dims[l], dims[l + 1], A(l + 1), C, A(l), C, A(l), C, Ce);
    }
  }
  return T(0.5) * ::tapeless::detail::reduce_add(lacc);
}

// Residual network, blocked.  Per chunk stores h_0..h_B (h_0 = x, read in
// place) and r_k = relu(z_k) (for relu'), then walks back with the adjoint g.
template <class T, blocking Bk>
T residual_blocked(std::size_t w, std::size_t blocks, const T* params, const dataset<T>& d, T* grad) {
  using V = vec<T>;
  using std::size_t;
  constexpr size_t N = V::size;
  const size_t n = d.n;
  const size_t C = Bk.chunk == 0 ? (n + N - 1) / N * N : (Bk.chunk + N - 1) / N * N;
  const size_t per = w * w + w, np = blocks * per;
  const size_t plane = w * C;
  // H[1..B] | R[0..B-1] | G | D | x tail | y tail
  T* ws = detail::scratch<T, detail::tag_res>((2 * blocks + 2) * plane + 2 * plane);
  T* Hs = ws;                    // h_{k} for k >= 1 at Hs + (k-1)*plane
  T* Rs = Hs + blocks * plane;   // r_k at Rs + k*plane
  T* G = Rs + blocks * plane;
  T* D = G + plane;
  T* xt = D + plane;
  T* yt = xt + plane;
  std::fill(grad, grad + np, T(0));
  V lacc(T(0));
  for (size_t c_begin = 0; c_begin < n; c_begin += C) {
    const size_t valid = std::min(C, n - c_begin);
    const size_t Ce = (valid + N - 1) / N * N;
    // h_0 must have the same leading dimension as the rest (C): copy.
    detail::copy_tail(d.x_soa.data(), w, n, c_begin, valid, xt, C);
    const T* Y0;
    size_t ldy;
    if (valid == Ce) {
      Y0 = d.y_soa.data() + c_begin;
      ldy = n;
    } else {
      detail::copy_tail(d.y_soa.data(), w, n, c_begin, valid, yt, Ce);
      Y0 = yt;
      ldy = Ce;
    }
    auto H = [&](size_t k) -> T* { return k == 0 ? xt : Hs + (k - 1) * plane; };
    // forward
    for (size_t k = 0; k < blocks; ++k) {
      const T* W = params + k * per;
      const T* b = W + w * w;
      constexpr int OB = Bk.fwd_ob, LG = Bk.fwd_lg;
      auto col = [&](auto lg, size_t c0) {
        constexpr int Gs = decltype(lg)::value;
        size_t o0 = 0;
        for (; o0 + OB <= w; o0 += OB) detail::res_fwd_block<T, OB, Gs>(W, b, w, o0, H(k), Rs + k * plane, H(k + 1), C, c0);
        if (o0 < w)
          detail::static_dispatch<OB - 1>(int(w - o0), [&](auto ob) {
            detail::res_fwd_block<T, decltype(ob)::value, Gs>(W, b, w, o0, H(k), Rs + k * plane, H(k + 1), C, c0);
          });
      };
      size_t c0 = 0;
      for (; c0 + LG * N <= Ce; c0 += LG * N) col(std::integral_constant<int, LG>{}, c0);
      if (c0 < Ce) {
        if constexpr (LG > 1) detail::static_dispatch<LG - 1>(int((Ce - c0) / N), [&](auto g) { col(g, c0); });
      }
    }
    // loss: G = (h_B - y), masked
    for (size_t o = 0; o < w; ++o)
      for (size_t c = 0; c < Ce; c += N) {
        V e = V::load_unaligned(H(blocks) + o * C + c) - V::load_unaligned(Y0 + o * ldy + c);
        if (c + N > valid) e = xsimd::select(detail::lanes_below<T>(std::ptrdiff_t(valid) - std::ptrdiff_t(c)), e, V(T(0)));
        lacc = xsimd::fma(e, e, lacc);
        e.store_unaligned(G + o * C + c);
      }
    // backward
    for (size_t k = blocks; k-- > 0;) {
      const T* W = params + k * per;
      T* gW = grad + k * per;
      T* gb = gW + w * w;
      const T* R = Rs + k * plane;
      for (size_t o = 0; o < w; ++o)
        for (size_t c = 0; c < Ce; c += N) {
          const V r = V::load_unaligned(R + o * C + c);
          xsimd::select(r > V(T(0)), V::load_unaligned(G + o * C + c), V(T(0))).store_unaligned(D + o * C + c);
        }
      detail::dw_layer<T, Bk.dw_ob, Bk.dw_ib>(D, C, H(k), C, w, w, Ce, gW);
      detail::db_layer<T>(D, C, w, Ce, gb);
      if (k > 0) detail::dx_layer<T, Bk.dx_ib, Bk.dx_lg, true>(W, w, w, D, C, nullptr, 0, G, C, Ce);
    }
  }
  return T(0.5) * ::tapeless::detail::reduce_add(lacc);
}

// ---- Network S (2-2-1): fully unrolled, parameters in registers.
template <class T, int UG>
T s_net_blocked(const T* p, const dataset<T>& d, T* grad) {
  using V = vec<T>;
  using std::size_t;
  constexpr size_t N = V::size;
  // p: W1 = p[0..3] (row-major 2x2), b1 = p[4..5], W2 = p[6..7], b2 = p[8]
  const V w00(p[0]), w01(p[1]), w10(p[2]), w11(p[3]), b0(p[4]), b1(p[5]), v0(p[6]), v1(p[7]), c(p[8]);
  const V zero(T(0));
  struct acc_set {
    V gw00, gw01, gw10, gw11, gb0, gb1, gv0, gv1, gc, loss;
  };
  acc_set a[2];
  for (auto& s : a) s = {zero, zero, zero, zero, zero, zero, zero, zero, zero, zero};
  auto step = [&](acc_set& s, V x0, V x1, V y, const vbool<T>* m) {
    const V z0 = xsimd::fma(w00, x0, xsimd::fma(w01, x1, b0));
    const V z1 = xsimd::fma(w10, x0, xsimd::fma(w11, x1, b1));
    const V h0 = xsimd::max(z0, zero), h1 = xsimd::max(z1, zero);
    V r = xsimd::fma(v0, h0, xsimd::fma(v1, h1, c)) - y;
    if (m) r = xsimd::select(*m, r, zero);
    s.loss = xsimd::fma(r, r, s.loss);
    s.gc += r;
    s.gv0 = xsimd::fma(r, h0, s.gv0);
    s.gv1 = xsimd::fma(r, h1, s.gv1);
    const V d0 = xsimd::select(z0 > zero, r * v0, zero);
    const V d1 = xsimd::select(z1 > zero, r * v1, zero);
    s.gb0 += d0;
    s.gb1 += d1;
    s.gw00 = xsimd::fma(d0, x0, s.gw00);
    s.gw01 = xsimd::fma(d0, x1, s.gw01);
    s.gw10 = xsimd::fma(d1, x0, s.gw10);
    s.gw11 = xsimd::fma(d1, x1, s.gw11);
  };
  const size_t n = d.n;
  const T* X0 = d.x_soa.data();
  const T* X1 = X0 + n;
  const T* Y = d.y_soa.data();
  size_t cix = 0;
  for (; cix + UG * N <= n; cix += UG * N)
    for (int g = 0; g < UG; ++g) {
      const size_t o = cix + g * N;
      step(a[g & 1], V::load_unaligned(X0 + o), V::load_unaligned(X1 + o), V::load_unaligned(Y + o), nullptr);
    }
  for (; cix < n; cix += N) {
    if (cix + N <= n) {
      step(a[0], V::load_unaligned(X0 + cix), V::load_unaligned(X1 + cix), V::load_unaligned(Y + cix), nullptr);
    } else {
      alignas(64) T t0[N], t1[N], ty[N];
      for (size_t j = 0; j < N; ++j) {
        const bool in = cix + j < n;
        t0[j] = in ? X0[cix + j] : T(0);
        t1[j] = in ? X1[cix + j] : T(0);
        ty[j] = in ? Y[cix + j] : T(0);
      }
      const vbool<T> m = detail::lanes_below<T>(std::ptrdiff_t(n - cix));
      step(a[0], V::load_aligned(t0), V::load_aligned(t1), V::load_aligned(ty), &m);
    }
  }
  V fin[9] = {a[0].gw00 + a[1].gw00, a[0].gw01 + a[1].gw01, a[0].gw10 + a[1].gw10, a[0].gw11 + a[1].gw11,
              a[0].gb0 + a[1].gb0,   a[0].gb1 + a[1].gb1,   a[0].gv0 + a[1].gv0,   a[0].gv1 + a[1].gv1,
              a[0].gc + a[1].gc};
  for (int j = 0; j < 9; ++j) grad[j] = ::tapeless::detail::reduce_add(fin[j]);
  return T(0.5) * ::tapeless::detail::reduce_add(a[0].loss + a[1].loss);
}

// ---- Block sizes per network, from a sweep on the AVX-512 (Zen 5) machine
// (bench/README.md).  Differences between the better candidates were within
// the run-to-run noise of the shared machine.
template <char Net, class T>
struct tuned {
  static constexpr blocking value{};
};
template <class T>
struct tuned<'M', T> {  // chunk 256: activations of a chunk stay in L1/L2
  static constexpr blocking value{.fwd_ob = 4, .fwd_lg = 6, .dw_ob = 4, .dw_ib = 4, .dx_ib = 4, .dx_lg = 6, .chunk = 256};
};
template <class T>
struct tuned<'L', T> {  // whole batch (256): one horizontal sum per weight
  static constexpr blocking value{.fwd_ob = 4, .fwd_lg = 6, .dw_ob = 4, .dw_ib = 4, .dx_ib = 4, .dx_lg = 6, .chunk = 0};
};
template <class T>
struct tuned<'R', T> {  // chunk 128: h_0..h_32 and r_0..r_31 of a chunk = 536 KB
  static constexpr blocking value{.fwd_ob = 4, .fwd_lg = 4, .dw_ob = 4, .dw_ib = 4, .dx_ib = 4, .dx_lg = 4, .chunk = 128};
};

// ---- Entry points with the hook signature.
template <char Net, class T>
T blocked(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (Net == 'S') return s_net_blocked<T, 4>(params, d, grad);
  else if constexpr (S::kind == net_kind::mlp) return mlp_blocked<T, S::dims.size(), tuned<Net, T>::value>(S::dims, params, d, grad);
  else return residual_blocked<T, tuned<Net, T>::value>(S::width, S::blocks, params, d, grad);
}

template <char Net, class T>
T unblocked(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) return mlp_unblocked<T>(S::dims, params, d, grad);
  else return residual_unblocked<T>(S::width, S::blocks, params, d, grad);
}

}  // namespace tlbench::lanes
