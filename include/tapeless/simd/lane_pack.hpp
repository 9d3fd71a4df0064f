#pragma once
// lane_pack<E, K>: K SIMD registers of samples, used as ONE number.
//
// The batch engine evaluates the graph with every scalar a lane_pack: K
// xsimd batches side by side, so K·W samples at once. An op rule that
// multiplies a broadcast weight by a lane_pack loads (broadcasts) the weight
// once and uses it for K registers: the register blocking a hand-written
// kernel does, obtained without touching the rules. Every operation is
// elementwise over the K parts.
//
// reducing_accumulator<E> is where parameter adjoints accumulate: one
// number per parameter entry, to which a lane_pack contribution adds the
// sum of all its lanes.

#include <array>
#include <cstddef>

#include <tapeless/core/attributes.hpp>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include <tapeless/simd/xsimd_compat.hpp>

namespace tapeless {

namespace detail {

// out[k] = the sum of the lanes of regs[k], k < N. With AVX-512 a
// transposing add tree reduces a whole register's worth of registers at
// once (about 3 instructions per register instead of a full horizontal sum
// each). xsimd 8.1's own haddp permutes its AVX-512 float result, so it is
// not used.
template <std::size_t N, class E, class Arch>
inline TAPELESS_ALWAYS_INLINE void sum_lanes(const xsimd::batch<E, Arch>* regs, E* out) {
  using R [[maybe_unused]] = xsimd::batch<E, Arch>;
  std::size_t k = 0;
#if defined(__AVX512F__)
  if constexpr (sizeof(R) == 64 && std::is_same_v<E, float>) {
    for (; k + 16 <= N; k += 16) {
      const R* v = regs + k;
      __m512 l1[8], l2[4], l3[2];
      for (int i = 0; i < 8; ++i) {  // halves: partial sums (8 lanes) of v[2i] and v[2i+1]
        const __m512 a = v[2 * i], b = v[2 * i + 1];
        l1[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
      }
      for (int i = 0; i < 4; ++i)  // 128-bit block j: partial sums (4 lanes) of v[4i + j]
        l2[i] = _mm512_add_ps(_mm512_shuffle_f32x4(l1[2 * i], l1[2 * i + 1], 0x88),
                              _mm512_shuffle_f32x4(l1[2 * i], l1[2 * i + 1], 0xDD));
      for (int i = 0; i < 2; ++i)  // block j: two lanes each of v[8i + j] and v[8i + 4 + j]
        l3[i] = _mm512_add_ps(_mm512_shuffle_ps(l2[2 * i], l2[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                              _mm512_shuffle_ps(l2[2 * i], l2[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
      // block j: the sums of v[j], v[4 + j], v[8 + j], v[12 + j]
      const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(l3[0], l3[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                     _mm512_shuffle_ps(l3[0], l3[1], _MM_SHUFFLE(3, 1, 3, 1)));
      // lane q: the sum of v[q] (it was in lane (q % 4) * 4 + q / 4)
      const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      _mm512_storeu_ps(out + k, _mm512_permutexvar_ps(order, r));
    }
  } else if constexpr (sizeof(R) == 64 && std::is_same_v<E, double>) {
    for (; k + 8 <= N; k += 8) {
      const R* v = regs + k;
      __m512d l1[4], l2[2];
      for (int i = 0; i < 4; ++i) {  // halves: partial sums (4 lanes) of v[2i] and v[2i+1]
        const __m512d a = v[2 * i], b = v[2 * i + 1];
        l1[i] = _mm512_add_pd(_mm512_shuffle_f64x2(a, b, 0x44), _mm512_shuffle_f64x2(a, b, 0xEE));
      }
      for (int i = 0; i < 2; ++i)  // 128-bit block j: partial sums (2 lanes) of v[4i + j]
        l2[i] = _mm512_add_pd(_mm512_shuffle_f64x2(l1[2 * i], l1[2 * i + 1], 0x88),
                              _mm512_shuffle_f64x2(l1[2 * i], l1[2 * i + 1], 0xDD));
      // block j: the sums of v[j] and v[4 + j]
      const __m512d r = _mm512_add_pd(_mm512_unpacklo_pd(l2[0], l2[1]), _mm512_unpackhi_pd(l2[0], l2[1]));
      // lane q: the sum of v[q] (it was in lane (q % 4) * 2 + q / 4)
      const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
      _mm512_storeu_pd(out + k, _mm512_permutexvar_pd(order, r));
    }
  }
#endif
  for (; k < N; ++k) out[k] = detail::reduce_add(regs[k]);
}

}  // namespace detail

template <class E, std::size_t K, class Arch>
struct lane_mask_pack {
  using part_type = xsimd::batch_bool<E, Arch>;
  std::array<part_type, K> part;

  friend lane_mask_pack operator||(const lane_mask_pack& a, const lane_mask_pack& b) {
    lane_mask_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = a.part[k] || b.part[k];
    return r;
  }
  friend lane_mask_pack operator&&(const lane_mask_pack& a, const lane_mask_pack& b) {
    lane_mask_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = a.part[k] && b.part[k];
    return r;
  }
  friend lane_mask_pack operator!(const lane_mask_pack& a) {
    lane_mask_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = !a.part[k];
    return r;
  }
};

template <class E, std::size_t K, class Arch = xsimd::default_arch>
struct lane_pack {
  using value_type = E;
  using part_type = xsimd::batch<E, Arch>;
  using mask_type = lane_mask_pack<E, K, Arch>;
  static constexpr std::size_t parts = K;
  static constexpr std::size_t lanes = K * part_type::size;

  std::array<part_type, K> part;

  // For the register-blocked kernels (math/parts.hpp).
  //
  // pin: GCC 12 folds a loaded register into every FMA that uses it, one
  // load per FMA instead of one per register block, which makes blocked
  // kernels load-bound; an empty asm makes the value opaque, so it is
  // loaded once and stays in its register.
  static void pin(part_type& r) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    asm("" : "+v"(r.data));
#else
    (void)r;
#endif
  }
  template <std::size_t N>
  TAPELESS_ALWAYS_INLINE static void sum_lanes(const part_type* regs, E* out) {
    detail::sum_lanes<N>(regs, out);
  }

  lane_pack() = default;
  // A parameter or a constant: the same value on every lane. Implicit, as
  // for the builtin types, so `2 * x` and `w * x` read the same.
  lane_pack(E v) {  // NOLINT(google-explicit-constructor)
    const part_type b(v);
    for (auto& p : part) p = b;
  }

  template <class F>
  static lane_pack map(F f, const lane_pack& a) {
    lane_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = f(a.part[k]);
    return r;
  }
  template <class F>
  static lane_pack map(F f, const lane_pack& a, const lane_pack& b) {
    lane_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = f(a.part[k], b.part[k]);
    return r;
  }
  template <class F>
  static mask_type compare(F f, const lane_pack& a, const lane_pack& b) {
    mask_type r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = f(a.part[k], b.part[k]);
    return r;
  }

  friend lane_pack operator+(const lane_pack& a, const lane_pack& b) {
    return map([](auto x, auto y) { return x + y; }, a, b);
  }
  friend lane_pack operator-(const lane_pack& a, const lane_pack& b) {
    return map([](auto x, auto y) { return x - y; }, a, b);
  }
  friend lane_pack operator*(const lane_pack& a, const lane_pack& b) {
    return map([](auto x, auto y) { return x * y; }, a, b);
  }
  // Correctly rounded on every target (detail::divide: xsimd's float
  // division on NEON is not), so that a lane divides as a scalar does.
  friend lane_pack operator/(const lane_pack& a, const lane_pack& b) {
    return map([](auto x, auto y) { return detail::divide(x, y); }, a, b);
  }
  friend lane_pack operator-(const lane_pack& a) {
    return map([](auto x) { return -x; }, a);
  }
  lane_pack& operator+=(const lane_pack& b) {
    for (std::size_t k = 0; k < K; ++k) part[k] += b.part[k];
    return *this;
  }
  lane_pack& operator-=(const lane_pack& b) {
    for (std::size_t k = 0; k < K; ++k) part[k] -= b.part[k];
    return *this;
  }

  friend mask_type operator<(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x < y; }, a, b);
  }
  friend mask_type operator<=(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x <= y; }, a, b);
  }
  friend mask_type operator>(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x > y; }, a, b);
  }
  friend mask_type operator>=(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x >= y; }, a, b);
  }
  friend mask_type operator==(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x == y; }, a, b);
  }
  // Unordered, as for plain numbers (true when either side is NaN), so !=
  // means the same on lanes as for one sample. xsimd's != is an ordered
  // comparison on AVX and AVX-512 (false for NaN), so it is not used here.
  // (The rules test NaN with math::isnan.)
  friend mask_type operator!=(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return !(x == y); }, a, b);
  }
  // NaN lanes (math::isnan).
  friend mask_type isnan(const lane_pack& a) {
    mask_type r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = xsimd::isnan(a.part[k]);
    return r;
  }

  // Found by argument-dependent lookup from tapeless::math.
  friend lane_pack select(const mask_type& m, const lane_pack& a, const lane_pack& b) {
    lane_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = xsimd::select(m.part[k], a.part[k], b.part[k]);
    return r;
  }
  friend lane_pack fma(const lane_pack& a, const lane_pack& b, const lane_pack& c) {
    lane_pack r;
    for (std::size_t k = 0; k < K; ++k) r.part[k] = xsimd::fma(a.part[k], b.part[k], c.part[k]);
    return r;
  }
};

// A parameter adjoint kept as one number: every contribution is summed
// across its lanes at once. That costs a horizontal sum per contribution,
// but the accumulators take 4-8 bytes per parameter instead of a register
// each; per-lane accumulators (one register per parameter, summed once per
// call) were measured slower on every benchmark network (bench/README.md).
template <class E, std::size_t K, class Arch = xsimd::default_arch>
struct reducing_accumulator {
  using pack = lane_pack<E, K, Arch>;
  E sum;

  void clear() { sum = E(0); }
  E total() const { return sum; }

  // A contribution already summed across lanes (a blocked kernel's).
  reducing_accumulator& operator+=(E lanes_total) {
    sum += lanes_total;
    return *this;
  }

  reducing_accumulator& operator+=(const pack& p) {
    auto s = p.part[0];
    for (std::size_t k = 1; k < K; ++k) s += p.part[k];
    sum += detail::reduce_add(s);
    return *this;
  }
  friend reducing_accumulator fma(const pack& a, const pack& b, reducing_accumulator acc) {
    auto s0 = a.part[0] * b.part[0];
    if constexpr (K == 1) {
      acc.sum += detail::reduce_add(s0);
    } else {
      auto s1 = a.part[1] * b.part[1];
      for (std::size_t k = 2; k + 1 < K; k += 2) {
        s0 = xsimd::fma(a.part[k], b.part[k], s0);
        s1 = xsimd::fma(a.part[k + 1], b.part[k + 1], s1);
      }
      if constexpr (K % 2 == 1) s0 = xsimd::fma(a.part[K - 1], b.part[K - 1], s0);
      acc.sum += detail::reduce_add(s0 + s1);
    }
    return acc;
  }
};

}  // namespace tapeless
