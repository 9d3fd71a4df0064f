#pragma once
// Register-blocked forms of conv2d's rules, for numbers made of several
// SIMD registers (a chunk of samples, math/parts.hpp), in the manner of
// ops/blocked_products.hpp:
//
//   conv_forward         y = conv(W, x) (or y += …): a block of output
//                        channels × (output pixels of one row × registers)
//                        in accumulators; each loaded input register feeds
//                        one FMA per output channel of the block, each
//                        broadcast weight one per pixel and register.
//   conv_filter_gradient W̄ += Σ_{pixels, lanes} ȳ patchᵀ: a block of output
//                        channels × taps of one filter row held as per-lane
//                        sums over every pixel and register of the chunk,
//                        then one transposing lane sum per block.
//
// The output pixels are visited in runs whose in-image taps are the same
// (ops/window.hpp): the border runs and the interior run each get a kernel
// with compile-time tap bounds, so no tap is tested at run time. Sums are
// formed in the order of the plain rule (zero, then taps in order c, p, q),
// so the value agrees with it to the last bit unless the compiler contracts
// differently; the filter gradient is summed in another order.

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <tapeless/core/attributes.hpp>
#include <tapeless/math/number.hpp>
#include <tapeless/math/parts.hpp>
#include <tapeless/ops/window.hpp>

namespace tapeless::blocked {

// Value: up to 6 output channels × 4 registers (pixels × registers of a
// pixel) of accumulators, as for matvec (24 of 32 AVX-512 registers).
inline constexpr std::size_t conv_output_block = 6;
inline constexpr std::size_t conv_column_block = 4;
// Filter gradient: up to 24 per-lane sums, taps of one filter row (at most
// 4) × output channels.
inline constexpr std::size_t conv_gradient_sums = 24;

// The shapes of one conv2d: C input channels of H × W, Out filters of
// K × K taps, stride S, padding P.
template <std::size_t K, std::size_t S, std::size_t P, std::size_t Out, std::size_t C, std::size_t H, std::size_t W>
struct conv_geometry {
  using rows = tapeless::detail::window_runs<K, S, P, H>;
  using cols = tapeless::detail::window_runs<K, S, P, W>;
  static constexpr std::size_t out_h = rows::axis::out, out_w = cols::axis::out;
  static constexpr std::size_t plane = out_h * out_w;  // one output channel
  static constexpr std::size_t filter = C * K * K;     // one row of W
};

namespace detail {

template <class T>
using reg_t = typename math::number_parts<T>::part_type;

template <class T>
reg_t<T> zero_reg() {
  return reg_t<T>(typename math::number_parts<T>::element_type(0));
}

// f.template operator()<k>() for k < N, in order.
template <std::size_t N, class F>
TAPELESS_ALWAYS_INLINE inline void static_for(F&& f) {
  [&]<std::size_t... k>(std::index_sequence<k...>) TAPELESS_ALWAYS_INLINE {
    (f.template operator()<k>(), ...);
  }(std::make_index_sequence<N>{});
}

// Output channels [o0, o0 + RB) at pixels (i, j + jj·1) for jj < RJ,
// registers [g0, g0 + RG) of each; taps p in [P0, P1), q in [Q0, Q1).
template <class G, bool Accumulate, std::size_t RB, std::size_t RJ, std::size_t RG, std::size_t P0, std::size_t P1,
          std::size_t Q0, std::size_t Q1, class T, class E>
TAPELESS_ALWAYS_INLINE inline void conv_forward_block(T* y, const E* w, const T* x, std::size_t o0, std::size_t i,
                                                      std::size_t j, std::size_t g0) {
  using NP = math::number_parts<T>;
  using Reg = reg_t<T>;
  constexpr std::size_t K = G::kernel, S = G::stride, P = G::padding, C = G::channels, H = G::height, W = G::width;
  Reg acc[RB][RJ * RG];
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t k = 0; k < RJ * RG; ++k) acc[r][k] = zero_reg<T>();
  const std::size_t r0 = i * S, c0 = j * S;
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t p = P0; p < P1; ++p)
      for (std::size_t q = Q0; q < Q1; ++q) {
        const std::size_t at = (c * H + r0 + p - P) * W + c0 + q - P;
        Reg in[RJ * RG];
        for (std::size_t jj = 0; jj < RJ; ++jj)
          for (std::size_t g = 0; g < RG; ++g) {
            in[jj * RG + g] = NP::get(x[at + jj * S], g0 + g);
            if constexpr (RB > 1) NP::pin(in[jj * RG + g]);
          }
        const std::size_t f = (c * K + p) * K + q;
        for (std::size_t r = 0; r < RB; ++r) {
          const Reg wv(w[(o0 + r) * G::filter + f]);
          for (std::size_t k = 0; k < RJ * RG; ++k) math::multiply_add(acc[r][k], wv, in[k]);
        }
      }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t jj = 0; jj < RJ; ++jj)
      for (std::size_t g = 0; g < RG; ++g) {
        Reg& out = NP::get(y[((o0 + r) * G::out_h + i) * G::out_w + j + jj], g0 + g);
        if constexpr (Accumulate)
          out += acc[r][jj * RG + g];
        else
          out = acc[r][jj * RG + g];
      }
}

// W̄ rows [o0, o0 + RB), taps q in [Q0, Q0 + CB) of filter row (c, Pt):
// per-lane sums over every output pixel the taps see and every register.
template <class G, std::size_t RB, std::size_t CB, std::size_t Pt, std::size_t Q0, class PA, class T>
TAPELESS_ALWAYS_INLINE inline void conv_gradient_block(PA* wbar, const T* ybar, const T* x, std::size_t o0,
                                                       std::size_t c) {
  using NP = math::number_parts<T>;
  using Reg = reg_t<T>;
  constexpr std::size_t K = G::kernel, S = G::stride, P = G::padding, H = G::height, W = G::width;
  constexpr std::size_t Wo = G::out_w;
  using row_axis = typename G::rows::axis;
  using col_axis = typename G::cols::axis;
  constexpr tapeless::detail::index_range is = row_axis::outputs(Pt);
  // Output columns every tap of the block sees, then each tap's own rest.
  constexpr std::size_t jb = [] {
    std::size_t b = 0;
    for (std::size_t q = Q0; q < Q0 + CB; ++q) b = std::max(b, col_axis::outputs(q).first);
    return b;
  }();
  constexpr std::size_t je = [] {
    std::size_t e = Wo;
    for (std::size_t q = Q0; q < Q0 + CB; ++q) e = std::min(e, col_axis::outputs(q).last);
    return e > jb ? e : jb;  // no std::max: it would take jb by reference
  }();
  Reg acc[RB * CB];
  for (std::size_t k = 0; k < RB * CB; ++k) acc[k] = zero_reg<T>();
  const T* xc = x + c * H * W;
  for (std::size_t i = is.first; i < is.last; ++i) {
    const T* xr = xc + (i * S + Pt - P) * W;
    for (std::size_t j = jb; j < je; ++j)
      for (std::size_t g = 0; g < NP::count; ++g) {
        // The taps' inputs stay in registers; ȳ streams through one
        // register per output channel (RB·CB sums + CB + 1 live registers:
        // loading every ȳ of the block first would need more registers
        // than AVX-512 has and spill the sums).
        Reg v[CB];
        for (std::size_t cb = 0; cb < CB; ++cb) {
          v[cb] = NP::get(xr[j * S + Q0 + cb - P], g);
          NP::pin(v[cb]);
        }
        for (std::size_t r = 0; r < RB; ++r) {
          Reg u = NP::get(ybar[((o0 + r) * G::out_h + i) * Wo + j], g);
          NP::pin(u);
          for (std::size_t cb = 0; cb < CB; ++cb) math::multiply_add(acc[r * CB + cb], u, v[cb]);
        }
      }
    // Border columns seen by some taps of the block only (a tap index
    // known at compile time, so the sums stay in registers).
    static_for<CB>([&]<std::size_t cb>() TAPELESS_ALWAYS_INLINE {
      constexpr tapeless::detail::index_range seen = col_axis::outputs(Q0 + cb);
      auto rest = [&](std::size_t from, std::size_t to) TAPELESS_ALWAYS_INLINE {
        for (std::size_t j = from; j < to; ++j)
          for (std::size_t g = 0; g < NP::count; ++g) {
            const Reg v = NP::get(xr[j * S + Q0 + cb - P], g);
            for (std::size_t r = 0; r < RB; ++r)
              math::multiply_add(acc[r * CB + cb], NP::get(ybar[((o0 + r) * G::out_h + i) * Wo + j], g), v);
          }
      };
      rest(seen.first, jb < seen.last ? jb : seen.last);
      rest(je > seen.first ? je : seen.first, seen.last);
    });
  }
  typename NP::element_type sums[RB * CB];
  NP::template sum_lanes<RB * CB>(acc, sums);
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t cb = 0; cb < CB; ++cb) wbar[(o0 + r) * G::filter + (c * K + Pt) * K + Q0 + cb] += sums[r * CB + cb];
}

template <std::size_t K, std::size_t S, std::size_t P, std::size_t Out, std::size_t C, std::size_t H, std::size_t W>
struct conv_shape : conv_geometry<K, S, P, Out, C, H, W> {
  static constexpr std::size_t kernel = K, stride = S, padding = P, outputs = Out, channels = C, height = H,
                               width = W;
};

}  // namespace detail

namespace detail {

// Run R of an axis's window runs, as constants (template arguments).
template <class Runs, std::size_t R>
struct run_at {
  static constexpr std::size_t first_tap = Runs::runs[R].first_tap, last_tap = Runs::runs[R].last_tap;
  static constexpr std::size_t begin = Runs::runs[R].begin, end = Runs::runs[R].end;
};

// conv_forward over the pixels of row run Row × column run Col.
template <class G, bool Accumulate, class Row, class Col, class T, class E>
TAPELESS_ALWAYS_INLINE inline void conv_forward_runs(T* y, const E* w, const T* x) {
  constexpr std::size_t regs = math::number_parts<T>::count, Out = G::outputs;
  // Registers of one pixel first; several pixels of a row when a number
  // has fewer registers than the block.
  constexpr std::size_t RG = std::min(conv_column_block, regs);
  constexpr std::size_t RJ = std::min(regs <= conv_column_block ? conv_column_block / regs : 1, Col::end - Col::begin);
  constexpr std::size_t RB = std::min(conv_output_block, Out);
  constexpr std::size_t P0 = Row::first_tap, P1 = Row::last_tap, Q0 = Col::first_tap, Q1 = Col::last_tap;
  auto pixels = [&]<std::size_t B, std::size_t J>(std::size_t o0, std::size_t i, std::size_t j) TAPELESS_ALWAYS_INLINE {
    std::size_t g0 = 0;
    for (; g0 + RG <= regs; g0 += RG) conv_forward_block<G, Accumulate, B, J, RG, P0, P1, Q0, Q1>(y, w, x, o0, i, j, g0);
    if constexpr (regs % RG != 0)
      conv_forward_block<G, Accumulate, B, J, regs % RG, P0, P1, Q0, Q1>(y, w, x, o0, i, j, g0);
  };
  auto channels = [&]<std::size_t J>(std::size_t i, std::size_t j) TAPELESS_ALWAYS_INLINE {
    std::size_t o0 = 0;
    for (; o0 + RB <= Out; o0 += RB) pixels.template operator()<RB, J>(o0, i, j);
    if constexpr (Out % RB != 0) pixels.template operator()<Out % RB, J>(o0, i, j);
  };
  for (std::size_t i = Row::begin; i < Row::end; ++i) {
    std::size_t j = Col::begin;
    for (; j + RJ <= Col::end; j += RJ) channels.template operator()<RJ>(i, j);
    if constexpr ((Col::end - Col::begin) % RJ != 0) channels.template operator()<(Col::end - Col::begin) % RJ>(i, j);
  }
}

}  // namespace detail

// y = conv(W, x) (y += conv(W, x) when Accumulate) with W plain numbers
// (Out × C·K·K, row o the filter of output channel o, laid out [c][p][q])
// and x (C × H × W), y (Out × H_o × W_o) multi-register numbers.
template <bool Accumulate, std::size_t K, std::size_t S, std::size_t P, std::size_t Out, std::size_t C,
          std::size_t H, std::size_t W, class T, class E>
void conv_forward(T* y, const E* w, const T* x) {
  using G = detail::conv_shape<K, S, P, Out, C, H, W>;
  using rows = typename G::rows;
  using cols = typename G::cols;
  detail::static_for<rows::count>([&]<std::size_t R>() {
    detail::static_for<cols::count>([&]<std::size_t Q>() {
      detail::conv_forward_runs<G, Accumulate, detail::run_at<rows, R>, detail::run_at<cols, Q>>(y, w, x);
    });
  });
}

// W̄(o, f) += Σ over every output pixel, lane and register of ȳ(o, pixel)
// times the input under tap f, with W̄ taking plain numbers (+=) and ȳ, x
// multi-register numbers.
template <std::size_t K, std::size_t S, std::size_t P, std::size_t Out, std::size_t C, std::size_t H, std::size_t W,
          class PA, class T>
void conv_filter_gradient(PA* wbar, const T* ybar, const T* x) {
  using G = detail::conv_shape<K, S, P, Out, C, H, W>;
  constexpr std::size_t CB = std::min<std::size_t>(K, 4);
  constexpr std::size_t RB = std::min(Out, std::max<std::size_t>(1, conv_gradient_sums / CB));
  auto taps = [&]<std::size_t B>(std::size_t o0, std::size_t c) TAPELESS_ALWAYS_INLINE {
    detail::static_for<K>([&]<std::size_t Pt>() {
      detail::static_for<K / CB>([&]<std::size_t Qb>() {
        detail::conv_gradient_block<G, B, CB, Pt, Qb * CB>(wbar, ybar, x, o0, c);
      });
      if constexpr (K % CB != 0) detail::conv_gradient_block<G, B, K % CB, Pt, K - K % CB>(wbar, ybar, x, o0, c);
    });
  };
  for (std::size_t c = 0; c < C; ++c) {
    std::size_t o0 = 0;
    for (; o0 + RB <= Out; o0 += RB) taps.template operator()<RB>(o0, c);
    if constexpr (Out % RB != 0) taps.template operator()<Out % RB>(o0, c);
  }
}

}  // namespace tapeless::blocked
