#pragma once
// mean(x): the average of all n elements, a scalar.
//   value  y = (Σ_k x_k) / n
//   VJP    x̄_k += ȳ / n
//   JVP    ẏ += (Σ_k ẋ_k) / n

#include <cstddef>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/sum.hpp>

namespace tapeless {

struct mean_op : structural {
  template <class X>
  using result_shape = scalar;

  // Divides rather than multiplying by 1/n: one rounding, not two.
  template <class X, class T>
  static T over_n(const T& v) {
    return v / detail::ratio_as<rational<X::size()>>(v);
  }

  template <class Y, class X>
  static void value(Y y, X x) {
    y[0] = over_n<X>(sum_op::total(x));
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X, Y) {
    const auto share = over_n<X>(ybar[0]);
    for (std::size_t k = 0; k < X::size(); ++k) xbar[k] += share;
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X, Y) {
    ydot[0] += over_n<X>(sum_op::total(xdot));
  }
};

template <expression X>
constexpr auto mean(X x) {
  return detail::make_node<mean_op>(x);
}

}  // namespace tapeless
