#pragma once
// row<I>(A): row I of a matrix (M×N), a vec<N>.
//   value  y_j = A_Ij
//   VJP    Ā_Ij += ȳ_j                   (the other rows get nothing)
//   JVP    ẏ_j += Ȧ_Ij

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t I>
struct row_op : structural {
  template <class A>
  using result_shape = vec<A::cols>;

  template <class Y, class A>
  static void value(Y y, A a) {
    for (std::size_t j = 0; j < A::shape::cols; ++j) y[j] = a(I, j);
  }
  template <class ABar, class YBar, class A, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, Y) {
    for (std::size_t j = 0; j < A::shape::cols; ++j) abar(I, j) += ybar[j];
  }
  template <class YDot, class ADot, class A, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, Y) {
    for (std::size_t j = 0; j < A::shape::cols; ++j) ydot[j] += adot(I, j);
  }
};

namespace detail {
// Shown in row<I>'s and col<J>'s diagnostics next to the operand.
template <std::size_t I>
struct row_index {};
}  // namespace detail

template <std::size_t I, expression A>
constexpr auto row(A a) {
  using report = detail::shape_mismatch<detail::row_index<I>, typename detail::describe<A>::type>;
  constexpr bool matrix = invalid<A> || A::shape::rank == 2;
  constexpr bool in_range = invalid<A> || !matrix || I < A::shape::dims[0];
  if constexpr (!matrix)
    static_assert(report::value, "tapeless: row<I>(A) needs a matrix A");
  else if constexpr (!in_range)
    static_assert(report::value, "tapeless: row<I>(A) needs I < the matrix's number of rows");
  return detail::make_node<row_op<I>, matrix && in_range>(a);
}

}  // namespace tapeless
