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

#include <xsimd/xsimd.hpp>

namespace tapeless {

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
  friend lane_pack operator/(const lane_pack& a, const lane_pack& b) {
    return map([](auto x, auto y) { return x / y; }, a, b);
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
  friend mask_type operator!=(const lane_pack& a, const lane_pack& b) {
    return compare([](auto x, auto y) { return x != y; }, a, b);
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
  friend lane_pack exp(const lane_pack& a) {
    return map([](auto x) { return xsimd::exp(x); }, a);
  }
  friend lane_pack expm1(const lane_pack& a) {
    return map([](auto x) { return xsimd::expm1(x); }, a);
  }
  friend lane_pack log(const lane_pack& a) {
    return map([](auto x) { return xsimd::log(x); }, a);
  }
  friend lane_pack log1p(const lane_pack& a) {
    return map([](auto x) { return xsimd::log1p(x); }, a);
  }
  friend lane_pack tanh(const lane_pack& a) {
    return map([](auto x) { return xsimd::tanh(x); }, a);
  }
  friend lane_pack sqrt(const lane_pack& a) {
    return map([](auto x) { return xsimd::sqrt(x); }, a);
  }
  friend lane_pack abs(const lane_pack& a) {
    return map([](auto x) { return xsimd::abs(x); }, a);
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

  reducing_accumulator& operator+=(const pack& p) {
    auto s = p.part[0];
    for (std::size_t k = 1; k < K; ++k) s += p.part[k];
    sum += xsimd::hadd(s);
    return *this;
  }
  friend reducing_accumulator fma(const pack& a, const pack& b, reducing_accumulator acc) {
    auto s0 = a.part[0] * b.part[0];
    if constexpr (K == 1) {
      acc.sum += xsimd::hadd(s0);
    } else {
      auto s1 = a.part[1] * b.part[1];
      for (std::size_t k = 2; k + 1 < K; k += 2) {
        s0 = xsimd::fma(a.part[k], b.part[k], s0);
        s1 = xsimd::fma(a.part[k + 1], b.part[k + 1], s1);
      }
      if constexpr (K % 2 == 1) s0 = xsimd::fma(a.part[K - 1], b.part[K - 1], s0);
      acc.sum += xsimd::hadd(s0 + s1);
    }
    return acc;
  }
};

}  // namespace tapeless
