#pragma once
// The few number operations the op rules need beyond arithmetic, spelled
// once for every number type.
//
// Op rules call `math::select(mask, a, b)`, `math::isnan(x)` and
// `math::multiply_add(acc, a, b)`. For `float` and `double` these are
// plain C++; for any other number type (an `xsimd::batch` holding one
// sample per lane, a lane_pack, a dual number) the call is forwarded
// unqualified, so the overload in that type's own namespace is found by
// argument-dependent lookup. The op headers therefore need not include
// xsimd, and a new number type plugs in without touching them.
//
// The elementary functions (math::exp, math::sin, ...) are not here: each
// is defined by its op header from the op's own rules (math/dual.hpp,
// math::apply), so its derivative is written once.

#include <cmath>
#include <type_traits>

namespace tapeless::detail::adl {
// No function of these names is visible here, so an unqualified call finds
// only the overloads of the argument's namespace.
template <class A, class B, class C>
auto call_fma(const A& a, const B& b, const C& c) -> decltype(fma(a, b, c)) {
  return fma(a, b, c);
}
template <class M, class T>
auto call_select(const M& mask, const T& a, const T& b) -> decltype(select(mask, a, b)) {
  return select(mask, a, b);
}
template <class T>
auto call_isnan(const T& x) -> decltype(isnan(x)) {
  return isnan(x);
}
}  // namespace tapeless::detail::adl

namespace tapeless::math {

template <class T>
concept builtin_float = std::is_floating_point_v<T>;

// acc += a b. On a number type that provides fma (found by ADL, e.g. the
// SIMD lane_pack) one fused multiply-add per lane; on builtin floats a
// multiply and an add, exactly as written, so scalar results do not depend
// on the target's FMA support.
template <class D, class A, class B>
void multiply_add(D& acc, const A& a, const B& b) {
  if constexpr (builtin_float<D> || !requires { acc = detail::adl::call_fma(a, b, acc); })
    acc += a * b;
  else
    acc = detail::adl::call_fma(a, b, acc);
}

// Whether x is NaN (a mask, lane by lane, for SIMD numbers). The rules use
// this, not `x != x`: xsimd's != is an ordered comparison on AVX and
// AVX-512 (false when either side is NaN). A number type without an isnan
// of its own (found by ADL) falls back to x != x.
template <class T>
auto isnan(const T& x) {
  if constexpr (builtin_float<T> || !requires { detail::adl::call_isnan(x); })
    return x != x;
  else
    return detail::adl::call_isnan(x);
}

// mask ? a : b, lane by lane for SIMD masks.
template <class M, class T>
auto select(const M& mask, const T& a, const T& b) {
  if constexpr (std::is_same_v<M, bool>)
    return mask ? a : b;
  else
    return detail::adl::call_select(mask, a, b);
}

}  // namespace tapeless::math
