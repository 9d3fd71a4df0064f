#pragma once
// a bᵀ: vector (M) and vector (N) give a matrix (M×N).
//   value  Y_ij = a_i b_j
//   VJP    ā += Ȳ b,  b̄ += Ȳᵀ a
//   JVP    Ẏ += ȧ bᵀ,  Ẏ += a ḃᵀ

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct outer_op : structural {
  template <class A, class B>
  using result_shape = mat<A::size, B::size>;

  template <class Y, class A, class B>
  static void value(Y y, A a, B b) {
    for (std::size_t i = 0; i < A::size(); ++i)
      for (std::size_t j = 0; j < B::size(); ++j) y(i, j) = a[i] * b[j];
  }

  template <class ABar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, B b, Y) {
    for (std::size_t i = 0; i < A::size(); ++i) {
      auto acc = ybar(i, 0) * b[0];
      for (std::size_t j = 1; j < B::size(); ++j) math::multiply_add(acc, ybar(i, j), b[j]);
      abar[i] += acc;
    }
  }
  template <class BBar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<1>, BBar bbar, YBar ybar, A a, B, Y) {
    for (std::size_t j = 0; j < B::size(); ++j) {
      auto acc = ybar(0, j) * a[0];
      for (std::size_t i = 1; i < A::size(); ++i) math::multiply_add(acc, ybar(i, j), a[i]);
      bbar[j] += acc;
    }
  }

  template <class YDot, class ADot, class A, class B, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, B b, Y) {
    for (std::size_t i = 0; i < A::size(); ++i)
      for (std::size_t j = 0; j < B::size(); ++j) math::multiply_add(ydot(i, j), adot[i], b[j]);
  }
  template <class YDot, class BDot, class A, class B, class Y>
  static void jvp(arg_t<1>, YDot ydot, BDot bdot, A a, B, Y) {
    for (std::size_t i = 0; i < A::size(); ++i)
      for (std::size_t j = 0; j < B::size(); ++j) math::multiply_add(ydot(i, j), a[i], bdot[j]);
  }
};

template <expression A, expression B>
constexpr auto outer(A a, B b) {
  constexpr bool ok = invalid<A> || invalid<B> || (A::shape::rank == 1 && B::shape::rank == 1);
  if constexpr (!ok)
    static_assert(detail::report_shapes<A, B>::value, "tapeless: outer(a, b) needs two vectors");
  return detail::make_node<outer_op, ok>(a, b);
}

}  // namespace tapeless
