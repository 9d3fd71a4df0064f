#pragma once
// col<J>(A): column J of a matrix (M×N), a vec<M>.
//   value  y_i = A_iJ
//   VJP    Ā_iJ += ȳ_i                   (the other columns get nothing)
//   JVP    ẏ_i += Ȧ_iJ

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t J>
struct col_op : structural {
  template <class A>
  using result_shape = vec<A::rows>;

  template <class Y, class A>
  static void value(Y y, A a) {
    for (std::size_t i = 0; i < A::shape::rows; ++i) y[i] = a(i, J);
  }
  template <class ABar, class YBar, class A, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, Y) {
    for (std::size_t i = 0; i < A::shape::rows; ++i) abar(i, J) += ybar[i];
  }
  template <class YDot, class ADot, class A, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, Y) {
    for (std::size_t i = 0; i < A::shape::rows; ++i) ydot[i] += adot(i, J);
  }
};

namespace detail {
// Shown in col<J>'s diagnostics next to the operand.
template <std::size_t J>
struct col_index {};
}  // namespace detail

template <std::size_t J, expression A>
constexpr auto col(A a) {
  using report = detail::shape_mismatch<detail::col_index<J>, typename detail::describe<A>::type>;
  constexpr bool matrix = invalid<A> || A::shape::rank == 2;
  constexpr bool in_range = invalid<A> || !matrix || J < A::shape::dims[1];
  if constexpr (!matrix)
    static_assert(report::value, "tapeless: col<J>(A) needs a matrix A");
  else if constexpr (!in_range)
    static_assert(report::value, "tapeless: col<J>(A) needs J < the matrix's number of columns");
  return detail::make_node<col_op<J>, matrix && in_range>(a);
}

}  // namespace tapeless
