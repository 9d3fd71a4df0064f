#pragma once
// dual<V, D>: a number a + ε ȧ with ε² = 0, for forward-mode derivatives.
//
// `value` is the number, `tangent` its derivative along one direction (D =
// V) or along several at once (D a SIMD pack, one direction per lane, with
// the value shared by every lane). Arithmetic follows the chain rule here;
// the elementary functions (math::exp, math::tanh, ...) and every unary
// elementwise op get their tangents from the op's JVP rule (math::apply
// in ops/family.hpp), so any code generic over its number type computes a derivative
// when handed duals. The library uses this to run the adjoint (VJP) rules
// of every op on duals: forward-over-reverse, which gives Hessian-vector
// products (eval/hessian.hpp).
//
// Comparisons compare values: a rule that branches on `x > 0` takes the same
// branch for a dual as for its value. math::abs has tangent sign(x) ẋ, 0 at
// x = 0 (abs_op's default kink); sqrt(x) at x = 0 has an infinite tangent
// (NaN when ẋ = 0), as 1/(2√x) says: the library's sqrt op is documented for
// x > 0.
//
// There is deliberately no fma for duals: math::multiply_add then computes
// acc += a b with the product rule, unfused, as for builtin floats.

#include <tapeless/math/number.hpp>
#include <type_traits>

namespace tapeless {

template <class V, class D = V>
struct dual;

namespace detail {
template <class T>
struct is_dual : std::false_type {};
template <class V, class D>
struct is_dual<dual<V, D>> : std::true_type {};

// A plain number a dual of value type V mixes with: `2 * x`, `w * x`.
template <class S, class V>
concept dual_operand = !is_dual<S>::value && std::is_convertible_v<S, V>;
}  // namespace detail

template <class V, class D>
struct dual {
  using value_type = V;
  using tangent_type = D;

  V value;
  D tangent;

  dual() = default;
  // A constant: zero tangent. Implicit, as for the builtin types, so rules
  // can write `T(0)` and assign plain numbers.
  template <detail::dual_operand<V> S>
  dual(const S& v) : value(V(v)), tangent(D(0)) {}  // NOLINT(google-explicit-constructor)
  dual(const V& v, const D& t) : value(v), tangent(t) {}

  friend dual operator+(const dual& a, const dual& b) { return {a.value + b.value, a.tangent + b.tangent}; }
  friend dual operator-(const dual& a, const dual& b) { return {a.value - b.value, a.tangent - b.tangent}; }
  friend dual operator*(const dual& a, const dual& b) {
    return {a.value * b.value, a.tangent * b.value + a.value * b.tangent};
  }
  friend dual operator/(const dual& a, const dual& b) {
    const V y = a.value / b.value;
    return {y, (a.tangent - y * b.tangent) / b.value};
  }
  friend dual operator-(const dual& a) { return {-a.value, -a.tangent}; }

  // With a plain number: the tangent is scaled, not multiplied out.
  template <detail::dual_operand<V> S>
  friend dual operator+(const dual& a, const S& s) {
    return {a.value + V(s), a.tangent};
  }
  template <detail::dual_operand<V> S>
  friend dual operator+(const S& s, const dual& a) {
    return {V(s) + a.value, a.tangent};
  }
  template <detail::dual_operand<V> S>
  friend dual operator-(const dual& a, const S& s) {
    return {a.value - V(s), a.tangent};
  }
  template <detail::dual_operand<V> S>
  friend dual operator-(const S& s, const dual& a) {
    return {V(s) - a.value, -a.tangent};
  }
  template <detail::dual_operand<V> S>
  friend dual operator*(const dual& a, const S& s) {
    return {a.value * V(s), a.tangent * V(s)};
  }
  template <detail::dual_operand<V> S>
  friend dual operator*(const S& s, const dual& a) {
    return {V(s) * a.value, V(s) * a.tangent};
  }
  template <detail::dual_operand<V> S>
  friend dual operator/(const dual& a, const S& s) {
    return {a.value / V(s), a.tangent / V(s)};
  }
  template <detail::dual_operand<V> S>
  friend dual operator/(const S& s, const dual& a) {
    const V y = V(s) / a.value;
    return {y, -(y / a.value) * a.tangent};
  }

  dual& operator+=(const dual& b) { return *this = *this + b; }
  dual& operator-=(const dual& b) { return *this = *this - b; }
  dual& operator*=(const dual& b) { return *this = *this * b; }
  dual& operator/=(const dual& b) { return *this = *this / b; }

  // Comparisons see values only.
  friend auto operator<(const dual& a, const dual& b) { return a.value < b.value; }
  friend auto operator<=(const dual& a, const dual& b) { return a.value <= b.value; }
  friend auto operator>(const dual& a, const dual& b) { return a.value > b.value; }
  friend auto operator>=(const dual& a, const dual& b) { return a.value >= b.value; }
  friend auto operator==(const dual& a, const dual& b) { return a.value == b.value; }
  friend auto operator!=(const dual& a, const dual& b) { return a.value != b.value; }
  friend auto isnan(const dual& a) { return math::isnan(a.value); }
  template <detail::dual_operand<V> S>
  friend auto operator<(const dual& a, const S& s) {
    return a.value < V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator<=(const dual& a, const S& s) {
    return a.value <= V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator>(const dual& a, const S& s) {
    return a.value > V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator>=(const dual& a, const S& s) {
    return a.value >= V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator==(const dual& a, const S& s) {
    return a.value == V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator!=(const dual& a, const S& s) {
    return a.value != V(s);
  }
  template <detail::dual_operand<V> S>
  friend auto operator<(const S& s, const dual& a) {
    return V(s) < a.value;
  }
  template <detail::dual_operand<V> S>
  friend auto operator<=(const S& s, const dual& a) {
    return V(s) <= a.value;
  }
  template <detail::dual_operand<V> S>
  friend auto operator>(const S& s, const dual& a) {
    return V(s) > a.value;
  }
  template <detail::dual_operand<V> S>
  friend auto operator>=(const S& s, const dual& a) {
    return V(s) >= a.value;
  }

  // A mask of the value's kind (a bool for a plain value, a lane mask for a
  // SIMD value). A per-lane mask cannot pick a value that all lanes share.
  template <class M>
  requires requires(const M& m, const V& v) { math::select(m, v, v); }
  friend dual select(const M& mask, const dual& a, const dual& b) {
    return {math::select(mask, a.value, b.value), math::select(mask, a.tangent, b.tangent)};
  }
};

}  // namespace tapeless
