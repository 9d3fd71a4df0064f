#pragma once
// Aᵀ: matrix (M×N) gives matrix (N×M).
//   value  Y_ji = A_ij
//   VJP    Ā += Ȳᵀ
//   JVP    Ẏ += Ȧᵀ

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct transpose_op : structural {
  template <class A>
  using result_shape = mat<A::cols, A::rows>;

  template <class Y, class A>
  static void value(Y y, A a) {
    for (std::size_t i = 0; i < A::shape::rows; ++i)
      for (std::size_t j = 0; j < A::shape::cols; ++j) y(j, i) = a(i, j);
  }

  template <class ABar, class YBar, class A, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, Y) {
    for (std::size_t i = 0; i < A::shape::rows; ++i)
      for (std::size_t j = 0; j < A::shape::cols; ++j) abar(i, j) += ybar(j, i);
  }

  template <class YDot, class ADot, class A, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, Y) {
    for (std::size_t i = 0; i < A::shape::rows; ++i)
      for (std::size_t j = 0; j < A::shape::cols; ++j) ydot(j, i) += adot(i, j);
  }
};

template <expression A>
constexpr auto transpose(A a) {
  constexpr bool ok = invalid<A> || A::shape::rank == 2;
  if constexpr (!ok)
    static_assert(detail::report_shapes<A>::value,
                  "tapeless: transpose(A) needs a matrix (vectors are columns: use outer(a, b) or dot(a, b))");
  return detail::make_node<transpose_op, ok>(a);
}

}  // namespace tapeless
