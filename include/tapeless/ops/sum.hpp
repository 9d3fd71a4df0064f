#pragma once
// Σ x: the sum of all elements, a scalar.
//   value  y = Σ_k x_k
//   VJP    x̄_k += ȳ
//   JVP    ẏ += Σ_k ẋ_k

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct sum_op : structural {
  template <class X>
  using result_shape = scalar;

  template <class V>
  static auto total(V v) {
    auto acc = v[0];
    for (std::size_t k = 1; k < V::size(); ++k) acc += v[k];
    return acc;
  }

  template <class Y, class X>
  static void value(Y y, X x) {
    y[0] = total(x);
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X, Y) {
    for (std::size_t k = 0; k < X::size(); ++k) xbar[k] += ybar[0];
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X, Y) {
    ydot[0] += total(xdot);
  }
};

template <expression X>
constexpr auto sum(X x) {
  return detail::make_node<sum_op>(x);
}

}  // namespace tapeless
