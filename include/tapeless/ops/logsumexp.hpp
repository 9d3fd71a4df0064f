#pragma once
// logsumexp(x) = log Σ_k exp(x_k), a scalar; computed without overflow.
//   value  m = max_k x_k,  y = m + log Σ_k exp(x_k - m)
//   VJP    x̄_k += ȳ exp(x_k - y)            (ȳ times softmax(x)_k)
//   JVP    ẏ += Σ_k exp(x_k - y) ẋ_k
// Every exponent is ≤ 0, so logits of ±1000 give finite, exact-as-possible
// values and a softmax that sums to 1. A NaN element makes y NaN.

#include <cstddef>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/exp.hpp>
#include <tapeless/ops/log.hpp>

namespace tapeless {

struct logsumexp_op : structural {
  template <class X>
  using result_shape = scalar;

  template <class Y, class X>
  static void value(Y y, X x) {
    using T = std::remove_cvref_t<decltype(x[0])>;
    T m = x[0];
    // select keeps a NaN that is already in m, and takes one from x[k].
    for (std::size_t k = 1; k < X::size(); ++k) m = math::select(x[k] > m || math::isnan(x[k]), T(x[k]), m);
    T total = math::exp(T(x[0]) - m);
    for (std::size_t k = 1; k < X::size(); ++k) total += math::exp(T(x[k]) - m);
    y[0] = m + math::log(total);
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X x, Y y) {
    for (std::size_t k = 0; k < X::size(); ++k) xbar[k] += ybar[0] * math::exp(x[k] - y[0]);
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X x, Y y) {
    for (std::size_t k = 0; k < X::size(); ++k) math::multiply_add(ydot[0], math::exp(x[k] - y[0]), xdot[k]);
  }
};

template <expression X>
constexpr auto logsumexp(X x) {
  return detail::make_node<logsumexp_op>(x);
}

}  // namespace tapeless
