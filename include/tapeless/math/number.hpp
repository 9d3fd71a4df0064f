#pragma once
// One spelling of the elementary functions for every number type.
//
// Op rules call `math::exp(x)`, `math::select(mask, a, b)` and so on. For
// `float` and `double` these are the <cmath> functions; for any other number
// type (an `xsimd::batch` holding one sample per lane, a dual number) the
// call is forwarded unqualified, so the overload in that type's own namespace
// is found by argument-dependent lookup. The op headers therefore need not
// include xsimd, and a new number type plugs in without touching them.

#include <cmath>
#include <type_traits>

namespace tapeless::detail::adl {
// No function of these names is visible here, so an unqualified call finds
// only the overloads of the argument's namespace.
template <class T>
auto call_exp(const T& x) -> decltype(exp(x)) {
  return exp(x);
}
template <class T>
auto call_expm1(const T& x) -> decltype(expm1(x)) {
  return expm1(x);
}
template <class T>
auto call_log(const T& x) -> decltype(log(x)) {
  return log(x);
}
template <class T>
auto call_log1p(const T& x) -> decltype(log1p(x)) {
  return log1p(x);
}
template <class T>
auto call_tanh(const T& x) -> decltype(tanh(x)) {
  return tanh(x);
}
template <class T>
auto call_sqrt(const T& x) -> decltype(sqrt(x)) {
  return sqrt(x);
}
template <class T>
auto call_abs(const T& x) -> decltype(abs(x)) {
  return abs(x);
}
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

template <class T>
auto exp(const T& x) {
  if constexpr (builtin_float<T>)
    return std::exp(x);
  else
    return detail::adl::call_exp(x);
}

template <class T>
auto expm1(const T& x) {
  if constexpr (builtin_float<T>)
    return std::expm1(x);
  else
    return detail::adl::call_expm1(x);
}

template <class T>
auto log(const T& x) {
  if constexpr (builtin_float<T>)
    return std::log(x);
  else
    return detail::adl::call_log(x);
}

template <class T>
auto log1p(const T& x) {
  if constexpr (builtin_float<T>)
    return std::log1p(x);
  else
    return detail::adl::call_log1p(x);
}

template <class T>
auto tanh(const T& x) {
  if constexpr (builtin_float<T>)
    return std::tanh(x);
  else
    return detail::adl::call_tanh(x);
}

template <class T>
auto sqrt(const T& x) {
  if constexpr (builtin_float<T>)
    return std::sqrt(x);
  else
    return detail::adl::call_sqrt(x);
}

template <class T>
auto abs(const T& x) {
  if constexpr (builtin_float<T>)
    return std::fabs(x);
  else
    return detail::adl::call_abs(x);
}

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
