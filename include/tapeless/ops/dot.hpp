#pragma once
// ⟨a, b⟩: the sum of the elementwise products of two same-shaped operands
// (for vectors the dot product, for matrices the Frobenius product).
//   value  y = Σ_k a_k b_k
//   VJP    ā += ȳ b,  b̄ += ȳ a
//   JVP    ẏ += Σ_k ȧ_k b_k,  ẏ += Σ_k a_k ḃ_k

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct dot_op : structural {
  template <class A, class B>
  using result_shape = scalar;

  template <class V, class W>
  static auto inner(V v, W w) {
    auto acc = v[0] * w[0];
    for (std::size_t k = 1; k < V::size(); ++k) math::multiply_add(acc, v[k], w[k]);
    return acc;
  }

  template <class Y, class A, class B>
  static void value(Y y, A a, B b) {
    y[0] = inner(a, b);
  }

  template <class ABar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, B b, Y) {
    for (std::size_t k = 0; k < A::size(); ++k) math::multiply_add(abar[k], ybar[0], b[k]);
  }
  template <class BBar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<1>, BBar bbar, YBar ybar, A a, B, Y) {
    for (std::size_t k = 0; k < B::size(); ++k) math::multiply_add(bbar[k], ybar[0], a[k]);
  }

  template <class YDot, class ADot, class A, class B, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, B b, Y) {
    ydot[0] += inner(adot, b);
  }
  template <class YDot, class BDot, class A, class B, class Y>
  static void jvp(arg_t<1>, YDot ydot, BDot bdot, A a, B, Y) {
    ydot[0] += inner(a, bdot);
  }
};

template <expression A, expression B>
constexpr auto dot(A a, B b) {
  constexpr bool ok = invalid<A> || invalid<B> || std::is_same_v<typename A::shape, typename B::shape>;
  if constexpr (!ok)
    static_assert(detail::report_shapes<A, B>::value, "tapeless: dot(a, b) needs two operands of the same shape");
  return detail::make_node<dot_op, ok>(a, b);
}

}  // namespace tapeless
