#pragma once
// The xsimd functions tapeless calls whose names or results differ between
// xsimd releases or targets, under one name each, so that xsimd 8.1
// (Debian 12) through 13 (Debian 13) give the same results everywhere.
//
//   reduce_add(b)   the sum of a batch's lanes: xsimd::hadd up to 8.x;
//                   xsimd::reduce_add from 9.0, which removed hadd later
//   divide(a, b)    a / b and the square root of a batch (or of a float or
//   square_root(x)  double), correctly rounded as IEEE 754 requires. xsimd
//                   (8.1 and 13.2 alike) computes both for float on NEON,
//                   aarch64 included, from the estimate instructions and
//                   Newton steps: under qemu, 41% of quotients and 34% of
//                   roots of numbers in [0.5, 2) came out a bit off, 1 / x
//                   was -inf for a subnormal x and sqrt(inf) NaN. aarch64
//                   has exact instructions for both (xsimd uses their double
//                   forms already).

#include <cmath>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace tapeless::detail {

template <class Batch>
auto reduce_add(const Batch& b) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(b);
#else
  return xsimd::hadd(b);
#endif
}

// Whether V is an xsimd batch of floats on aarch64's NEON.
template <class V>
inline constexpr bool is_neon64_float_batch = false;
template <class V>
  requires requires { typename V::arch_type; }
inline constexpr bool is_neon64_float_batch<V> =
    std::is_same_v<typename V::value_type, float> && std::is_base_of_v<xsimd::neon64, typename V::arch_type>;

template <class V>
V divide(const V& a, const V& b) noexcept {
#if XSIMD_WITH_NEON64
  if constexpr (is_neon64_float_batch<V>) return V(vdivq_f32(a, b));
#endif
  return a / b;
}

template <class V>
V square_root(const V& x) noexcept {
#if XSIMD_WITH_NEON64
  if constexpr (is_neon64_float_batch<V>) return V(vsqrtq_f32(x));
#endif
  using std::sqrt;  // xsimd::sqrt for a batch, by argument-dependent lookup
  return sqrt(x);
}

}  // namespace tapeless::detail
