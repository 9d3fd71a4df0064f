#pragma once
// The loop every optimizer runs: one kernel over a flat buffer, on whole
// xsimd batches and then on the remaining elements one at a time.
//
// An element's result must not depend on whether it falls in the SIMD body
// or in the scalar tail. Kernels divide and take square roots with divide()
// and square_root() (simd/xsimd_compat.hpp), correctly rounded on both paths
// (xsimd's own are not for float on NEON), so the only other danger is a
// multiply-add: fused on one path and not on the other (explicitly, or
// because the compiler contracts `a * b + c`, which GCC does by default
// even in ISO C++ mode). So kernels never write a product that feeds an
// addition; they call madd(a, b, c) instead, which is fused on both paths
// when the SIMD target has a fused multiply-add and unfused on both
// otherwise. xsimd 8.1's fma on AVX-512 is the generic `x * y + z`, so that
// case calls the intrinsic itself.
//
// Consequence: results are identical across body and tail within a build,
// but a build for an FMA target and one without FMA may differ in the last
// bit.

#include <cstddef>
#include <cmath>
#include <tuple>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include <tapeless/simd/xsimd_compat.hpp>

namespace tapeless::detail {

template <class E>
using simd_batch = xsimd::batch<E>;

template <class, class U>
using same_count_as = U;

// The element type of a parameter buffer; double for anything else, so that
// an optimizer over a wrong type stops at its one static_assert.
template <class Buffer>
struct buffer_element_of {
  using type = double;
};
template <class Buffer>
  requires requires { typename Buffer::element_type; }
struct buffer_element_of<Buffer> {
  using type = typename Buffer::element_type;
};

template <class Arch>
inline constexpr bool arch_has_fused_madd =
    std::is_base_of_v<xsimd::fma3<xsimd::sse4_2>, Arch> || std::is_base_of_v<xsimd::fma3<xsimd::avx>, Arch> ||
    std::is_base_of_v<xsimd::fma3<xsimd::avx2>, Arch> || std::is_base_of_v<xsimd::fma4, Arch> ||
    std::is_base_of_v<xsimd::avx512f, Arch> || std::is_base_of_v<xsimd::neon64, Arch>;

inline constexpr bool fused_madd = arch_has_fused_madd<xsimd::default_arch>;

// a * b + c, on E or on simd_batch<E>; `a` may be a scalar for either.
template <class A, class V>
V madd(const A& a, const V& b, const V& c) noexcept {
  const V av(a);
  if constexpr (!fused_madd) {
    return av * b + c;
  } else if constexpr (std::is_floating_point_v<V>) {
    return std::fma(av, b, c);
  } else {
#if XSIMD_WITH_AVX512F
    using arch = typename V::arch_type;
    using value = typename V::value_type;
    if constexpr (std::is_base_of_v<xsimd::avx512f, arch> && std::is_same_v<value, float>)
      return V(_mm512_fmadd_ps(av, b, c));
    else if constexpr (std::is_base_of_v<xsimd::avx512f, arch> && std::is_same_v<value, double>)
      return V(_mm512_fmadd_pd(av, b, c));
    else
      return xsimd::fma(av, b, c);
#else
    return xsimd::fma(av, b, c);
#endif
  }
}

// Calls kernel(x...) for every index of [0, n), where x... are the elements
// ptr[i]... as simd_batch<E> (the body) or as E (the tail). The kernel takes
// its arguments by reference; what it leaves in the arguments of non-const
// pointers is written back.
template <class E, class Kernel, class... T>
void elementwise(std::size_t n, Kernel&& kernel, T*... ptr) {
  static_assert((std::is_same_v<std::remove_const_t<T>, E> && ...));
  using batch = simd_batch<E>;
  constexpr std::size_t width = batch::size;
  constexpr auto indices = std::index_sequence_for<T...>{};
  const auto write_back = [&]<std::size_t... k>(std::index_sequence<k...>, auto& values, std::size_t i) {
    const auto store = [&](auto* p, const auto& v) {
      if constexpr (!std::is_const_v<std::remove_pointer_t<decltype(p)>>) {
        if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(v)>>)
          p[i] = v;
        else
          v.store_unaligned(p + i);
      }
    };
    (store(ptr, std::get<k>(values)), ...);
  };
  std::size_t i = 0;
  for (; i + width <= n; i += width) {
    std::tuple<same_count_as<T, batch>...> values{batch::load_unaligned(ptr + i)...};
    std::apply(kernel, values);
    write_back(indices, values, i);
  }
  for (; i < n; ++i) {
    std::tuple<same_count_as<T, E>...> values{ptr[i]...};
    std::apply(kernel, values);
    write_back(indices, values, i);
  }
}

// Whether every x[i] of [0, n) is finite: x - x is 0 for a finite x and NaN
// for NaN or an infinity, and a NaN stays NaN through the sum.
template <class E>
bool all_finite(const E* x, std::size_t n) noexcept {
  using batch = simd_batch<E>;
  constexpr std::size_t width = batch::size;
  std::size_t i = 0;
  batch acc(E(0));
  for (; i + width <= n; i += width) {
    const batch v = batch::load_unaligned(x + i);
    acc += v - v;
  }
  E sum = detail::reduce_add(acc);
  for (; i < n; ++i) sum += x[i] - x[i];
  return sum == E(0);
}

// The sum of x[i]^2 over [0, n).
template <class E>
E sum_of_squares(const E* x, std::size_t n) noexcept {
  using batch = simd_batch<E>;
  constexpr std::size_t width = batch::size;
  std::size_t i = 0;
  batch acc(E(0));
  for (; i + width <= n; i += width) {
    const batch v = batch::load_unaligned(x + i);
    acc = madd(v, v, acc);
  }
  E sum = detail::reduce_add(acc);
  for (; i < n; ++i) sum = madd(x[i], x[i], sum);
  return sum;
}

}  // namespace tapeless::detail
