#pragma once
// Register-blocked forms of the product rules, for numbers made of several
// SIMD registers (a lane_pack of a chunk of samples, math/parts.hpp).
//
// The plain rules compute one output at a time: for y = A x over a chunk of
// samples that reloads every input register once per output. The forms
// here keep a block of outputs × registers in accumulators, so each loaded
// input register feeds several fused multiply-adds and each broadcast
// weight several more, and they sum a weight gradient over all registers
// of the chunk in registers before one transposing horizontal sum per
// block. They are generic over the number type (a plain number is one
// register of one lane) and do, register by register, the same operations
// in the same order as the plain rules (so the results agree to the last
// bit unless the compiler contracts multiplies and adds differently in the
// two), except the lane sums of weight gradients (added per block instead
// of per register).
//
// Which rule uses them is decided by the number types alone: a product
// whose matrix is a plain number (a parameter, the same on every lane) and
// whose other operand is a multi-register number (math::multi_part).

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include <tapeless/core/attributes.hpp>
#include <tapeless/math/number.hpp>
#include <tapeless/math/parts.hpp>

namespace tapeless::blocked {

// Accumulator block: 6 outputs × 4 registers (24 of AVX-512's 32 vector
// registers, 4 for loaded inputs and 1 for a broadcast weight). Each input
// register loaded feeds 6 FMAs, each weight broadcast 4. Measured against
// 4 × 6, 4 × 4 and 8 × 2 on the benchmark networks (bench/README.md): 6 × 4
// was fastest on M and L and within noise on R.
inline constexpr std::size_t output_block = 6;
inline constexpr std::size_t register_block = 4;
// Weight-gradient block: 4 × 4 per-lane sums (16 registers, reduced by one
// transposing sum of 16 registers for float).
inline constexpr std::size_t gradient_block = 4;

template <class V>
using element_t = std::remove_cv_t<typename V::element_type>;

// y = A x with A plain numbers (broadcast) and x, y multi-register numbers
// of one type.
template <class Y, class A, class X>
inline constexpr bool broadcast_operands =
    std::is_arithmetic_v<element_t<A>> && math::multi_part<element_t<X>> &&
    std::is_same_v<element_t<X>, element_t<Y>>;

// Ā += ȳ xᵀ summed over lanes, with ȳ and x multi-register numbers of one
// type and Ā accumulating plain sums.
template <class ABar, class YBar, class X>
inline constexpr bool lane_summed_operands =
    math::multi_part<element_t<X>> && std::is_same_v<element_t<X>, element_t<YBar>> &&
    !math::multi_part<element_t<ABar>>;

namespace detail {

template <std::size_t RB, std::size_t RG, bool Accumulate, std::size_t N, std::size_t AR, std::size_t AC,
          std::size_t XS, std::size_t YS, class T, class E>
inline void broadcast_block(T* y, const E* a, const T* x, std::size_t i0, std::size_t g0) {
  using NP = math::number_parts<T>;
  using P = typename NP::part_type;
  P acc[RB][RG];
  {
    P in[RG];
    for (std::size_t g = 0; g < RG; ++g) in[g] = NP::get(x[0], g0 + g);
    for (std::size_t r = 0; r < RB; ++r) {
      const P w(a[(i0 + r) * AR]);
      for (std::size_t g = 0; g < RG; ++g) acc[r][g] = w * in[g];
    }
  }
  for (std::size_t j = 1; j < N; ++j) {
    P in[RG];
    for (std::size_t g = 0; g < RG; ++g) {
      in[g] = NP::get(x[j * XS], g0 + g);
      if constexpr (RB > 1) NP::pin(in[g]);
    }
    for (std::size_t r = 0; r < RB; ++r) {
      const P w(a[(i0 + r) * AR + j * AC]);
      for (std::size_t g = 0; g < RG; ++g) math::multiply_add(acc[r][g], w, in[g]);
    }
  }
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t g = 0; g < RG; ++g) {
      P& out = NP::get(y[(i0 + r) * YS], g0 + g);
      if constexpr (Accumulate)
        out += acc[r][g];
      else
        out = acc[r][g];
    }
}

template <std::size_t RB, std::size_t CB, std::size_t BR, std::size_t BC, std::size_t YS, std::size_t XS, class PA,
          class T>
inline void lane_summed_block(PA* abar, const T* ybar, const T* x, std::size_t i0, std::size_t j0) {
  using NP = math::number_parts<T>;
  using P = typename NP::part_type;
  P acc[RB * CB];
  auto step = [&]<bool First>(std::size_t g) TAPELESS_ALWAYS_INLINE {
    P u[RB], v[CB];
    for (std::size_t r = 0; r < RB; ++r) {
      u[r] = NP::get(ybar[(i0 + r) * YS], g);
      NP::pin(u[r]);
    }
    for (std::size_t c = 0; c < CB; ++c) {
      v[c] = NP::get(x[(j0 + c) * XS], g);
      NP::pin(v[c]);
    }
    for (std::size_t r = 0; r < RB; ++r)
      for (std::size_t c = 0; c < CB; ++c) {
        if constexpr (First)
          acc[r * CB + c] = u[r] * v[c];
        else
          math::multiply_add(acc[r * CB + c], u[r], v[c]);
      }
  };
  step.template operator()<true>(0);
  for (std::size_t g = 1; g < NP::count; ++g) step.template operator()<false>(g);
  typename NP::element_type sums[RB * CB];
  NP::template sum_lanes<RB * CB>(acc, sums);
  for (std::size_t r = 0; r < RB; ++r)
    for (std::size_t c = 0; c < CB; ++c) abar[(i0 + r) * BR + (j0 + c) * BC] += sums[r * CB + c];
}

}  // namespace detail

// Y[i] = Σ_j A(i, j) X[j] for i < M, j < N (Y[i] += that sum when
// Accumulate), where A(i, j) = a[i·AR + j·AC] is a plain number broadcast
// to every lane, X[j] = x[j·XS] and Y[i] = y[i·YS]. Each sum is formed as
// A(i, 0) X[0] followed by fused multiply-adds in order of j, as the plain
// rules do.
template <bool Accumulate, std::size_t M, std::size_t N, std::size_t AR, std::size_t AC, std::size_t XS,
          std::size_t YS, class T, class E>
void broadcast_product(T* y, const E* a, const T* x) {
  constexpr std::size_t K = math::number_parts<T>::count;
  constexpr std::size_t RB = std::min(output_block, M), RG = std::min(register_block, K);
  auto rows = [&]<std::size_t B>(std::size_t i0) {
    std::size_t g0 = 0;
    for (; g0 + RG <= K; g0 += RG) detail::broadcast_block<B, RG, Accumulate, N, AR, AC, XS, YS>(y, a, x, i0, g0);
    if constexpr (K % RG != 0) detail::broadcast_block<B, K % RG, Accumulate, N, AR, AC, XS, YS>(y, a, x, i0, g0);
  };
  std::size_t i0 = 0;
  for (; i0 + RB <= M; i0 += RB) rows.template operator()<RB>(i0);
  if constexpr (M % RB != 0) rows.template operator()<M % RB>(i0);
}

// Ā(i, j) += Σ over every lane of every register of Ȳ[i] X[j], for i < M,
// j < N, where Ā(i, j) = abar[i·BR + j·BC] takes a plain number (+=),
// Ȳ[i] = ybar[i·YS] and X[j] = x[j·XS].
template <std::size_t M, std::size_t N, std::size_t BR, std::size_t BC, std::size_t YS, std::size_t XS, class PA,
          class T>
void lane_summed_outer(PA* abar, const T* ybar, const T* x) {
  constexpr std::size_t RB = std::min(gradient_block, M), CB = std::min(gradient_block, N);
  auto rows = [&]<std::size_t B>(std::size_t i0) {
    std::size_t j0 = 0;
    for (; j0 + CB <= N; j0 += CB) detail::lane_summed_block<B, CB, BR, BC, YS, XS>(abar, ybar, x, i0, j0);
    if constexpr (N % CB != 0) detail::lane_summed_block<B, N % CB, BR, BC, YS, XS>(abar, ybar, x, i0, j0);
  };
  std::size_t i0 = 0;
  for (; i0 + RB <= M; i0 += RB) rows.template operator()<RB>(i0);
  if constexpr (M % RB != 0) rows.template operator()<M % RB>(i0);
}

}  // namespace tapeless::blocked
