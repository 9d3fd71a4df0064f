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
// lane_accumulator<E> is where parameter adjoints accumulate: one register
// per parameter entry, to which a lane_pack contribution adds all its K
// parts, so the accumulator array is as small as for K = 1 and is touched
// once per K·W samples.

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

// One register per parameter entry; a lane_pack added to it contributes
// the sum of its K parts.
template <class E, std::size_t K, class Arch = xsimd::default_arch>
struct lane_accumulator {
  using pack = lane_pack<E, K, Arch>;
  typename pack::part_type sum;

  lane_accumulator& operator+=(const pack& p) {
    auto s = p.part[0];
    for (std::size_t k = 1; k < K; ++k) s += p.part[k];
    sum += s;
    return *this;
  }
  // acc += a b, K fused multiply-adds.
  friend lane_accumulator fma(const pack& a, const pack& b, lane_accumulator acc) {
    for (std::size_t k = 0; k < K; ++k) acc.sum = xsimd::fma(a.part[k], b.part[k], acc.sum);
    return acc;
  }
};

}  // namespace tapeless
