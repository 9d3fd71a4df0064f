#pragma once
// avg_pool2d<K, S>(x): the mean of each K × K window of each channel of an
// image, windows S apart (no padding). Output image<C, (H-K)/S + 1, (W-K)/S + 1>.
//   value  y(c,i,j) = (1/K²) Σ_{p,q} x(c, iS+p, jS+q)
//   VJP    x̄(c, iS+p, jS+q) += ȳ(c,i,j) / K²    for every p, q of the window
//   JVP    ẏ(c,i,j) += (1/K²) Σ_{p,q} ẋ(c, iS+p, jS+q)
// 1/K² is the number type's nearest value to it, multiplied (not divided):
// exact for K = 1, 2, 4, 8, ... Overlapping windows (S < K) each add their
// share.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <tapeless/core/rational.hpp>
#include <tapeless/ops/conv2d.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t K, std::size_t S>
struct avg_pool2d_op : structural {
  template <class X>
  using result_shape = image<X::channels, detail::window_axis<K, S, 0, X::height>::out,
                             detail::window_axis<K, S, 0, X::width>::out>;

  using inverse_count = rational<1, static_cast<std::intmax_t>(K * K)>;

  // The sum of window (c, i, j) of v, in number type T.
  template <class T, class V>
  static T window_sum(V v, std::size_t c, std::size_t i, std::size_t j) {
    constexpr std::size_t H = V::shape::height, W = V::shape::width;
    const auto* row = v.data() + (c * H + i * S) * W + j * S;
    T acc = T(row[0]);
    for (std::size_t q = 1; q < K; ++q) acc += row[q];
    for (std::size_t p = 1; p < K; ++p) {
      row += W;
      for (std::size_t q = 0; q < K; ++q) acc += row[q];
    }
    return acc;
  }

  template <class Y, class X>
  static void value(Y y, X x) {
    using T = std::remove_cvref_t<decltype(y[0])>;
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j, ++out) {
          const T total = window_sum<T>(x, c, i, j);
          y[out] = total * detail::ratio_as<inverse_count>(total);
        }
  }

  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X, Y) {
    constexpr std::size_t H = X::shape::height, W = X::shape::width;
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j, ++out) {
          const auto share = ybar[out] * detail::ratio_as<inverse_count>(ybar[out]);
          for (std::size_t p = 0; p < K; ++p) {
            const std::size_t row = (c * H + i * S + p) * W + j * S;
            for (std::size_t q = 0; q < K; ++q) xbar[row + q] += share;
          }
        }
  }

  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X, Y) {
    using T = std::remove_cvref_t<decltype(ydot[0])>;
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j, ++out) {
          const T total = window_sum<T>(xdot, c, i, j);
          ydot[out] += total * detail::ratio_as<inverse_count>(total);
        }
  }
};

// The mean of each K × K window of each channel of image x, windows S apart.
template <std::size_t K, std::size_t S = K, expression X>
constexpr auto avg_pool2d(X x) {
  using detail::pool2d_problem;
  constexpr pool2d_problem problem =
      invalid<X> ? pool2d_problem::none : detail::pool2d_check<K, S, typename X::shape>();
  if constexpr (problem == pool2d_problem::not_image)
    static_assert(detail::report_pool2d<K, S, X>::value, "tapeless: avg_pool2d<K, S>(x) needs an image x (image<C, H, W>)");
  else if constexpr (problem == pool2d_problem::zero_window_or_stride)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: avg_pool2d<K, S>(x) needs a window size K and a stride S of at least 1");
  else if constexpr (problem == pool2d_problem::window_too_large)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: avg_pool2d<K, S>(x): the window K is larger than x's height or width");
  else if constexpr (problem == pool2d_problem::stride)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: avg_pool2d<K, S>(x): the stride S does not divide H - K or W - K");
  return detail::make_node<avg_pool2d_op<K, S>, problem == pool2d_problem::none>(x);
}

}  // namespace tapeless
