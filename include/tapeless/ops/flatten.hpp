#pragma once
// flatten(x): the elements of x in storage order as a vector, vec<size of x>.
// An image<C, H, W> becomes channel by channel, each row by row; a matrix row
// by row. It is how convolution features reach a dense layer.
//   value  y_k = x_k
//   VJP    x̄_k += ȳ_k
//   JVP    ẏ_k += ẋ_k

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct flatten_op : structural {
  template <class X>
  using result_shape = vec<X::size>;

  template <class Y, class X>
  static void value(Y y, X x) {
    for (std::size_t k = 0; k < X::size(); ++k) y[k] = x[k];
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X, Y) {
    for (std::size_t k = 0; k < X::size(); ++k) xbar[k] += ybar[k];
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X, Y) {
    for (std::size_t k = 0; k < X::size(); ++k) ydot[k] += xdot[k];
  }
};

// Any shape as a vector; a vector is returned as it is, with no new node.
template <expression X>
constexpr auto flatten(X x) {
  if constexpr (invalid<X> || X::shape::rank == 1)
    return x;
  else
    return detail::make_node<flatten_op>(x);
}

}  // namespace tapeless
