#pragma once
// at<I>(v): element I of a vector; at<I, J>(A): element (I, J) of a matrix.
// Both are a scalar, element K = I (or I·N + J for an M×N matrix) in
// storage order, and one op: at_op<K>.
//   value  y = x_K
//   VJP    x̄_K += ȳ                     (the other elements get nothing)
//   JVP    ẏ += ẋ_K

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t K>
struct at_op : structural {
  template <class X>
  using result_shape = scalar;

  template <class Y, class X>
  static void value(Y y, X x) {
    y[0] = x[K];
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X, Y) {
    xbar[K] += ybar[0];
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X, Y) {
    ydot[0] += xdot[K];
  }
};

namespace detail {
// Shown in at's diagnostics next to the operand.
template <std::size_t... Indices>
struct element_index {};
}  // namespace detail

template <std::size_t I, expression V>
constexpr auto at(V v) {
  using report = detail::shape_mismatch<detail::element_index<I>, typename detail::describe<V>::type>;
  constexpr bool vector = invalid<V> || V::shape::rank == 1;
  constexpr bool in_range = invalid<V> || !vector || I < V::shape::size;
  if constexpr (!vector)
    static_assert(report::value, "tapeless: at<I>(v) needs a vector v (for a matrix, write at<I, J>(A))");
  else if constexpr (!in_range)
    static_assert(report::value, "tapeless: at<I>(v) needs I < the vector's size");
  return detail::make_node<at_op<I>, vector && in_range>(v);
}

template <std::size_t I, std::size_t J, expression A>
constexpr auto at(A a) {
  using report = detail::shape_mismatch<detail::element_index<I, J>, typename detail::describe<A>::type>;
  constexpr bool matrix = invalid<A> || A::shape::rank == 2;
  constexpr bool in_range = invalid<A> || !matrix || (I < A::shape::dims[0] && J < A::shape::dims[1]);
  if constexpr (!matrix)
    static_assert(report::value, "tapeless: at<I, J>(A) needs a matrix A (for a vector, write at<I>(v))");
  else if constexpr (!in_range)
    static_assert(report::value, "tapeless: at<I, J>(A) needs I < the matrix's rows and J < its columns");
  if constexpr (matrix && in_range && !invalid<A>)
    return detail::make_node<at_op<I * A::shape::dims[1] + J>>(a);
  else
    return detail::invalid_expression{};
}

}  // namespace tapeless
