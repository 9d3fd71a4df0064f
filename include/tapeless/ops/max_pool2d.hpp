#pragma once
// max_pool2d<K, S>(x): the maximum of each K × K window of each channel of an
// image, windows S apart (no padding). Output image<C, (H-K)/S + 1, (W-K)/S + 1>.
//   value  y(c,i,j) = max_{p,q} x(c, iS+p, jS+q)
//   VJP    x̄(c, iS+p*, jS+q*) += ȳ(c,i,j)      (p*, q*) the window's arg-max
//   JVP    ẏ(c,i,j) += ẋ(c, iS+p*, jS+q*)
// Ties: the FIRST maximum in row-major window order (p, then q) takes the
// whole gradient; the others get 0 (a valid subgradient; PyTorch does the
// same). +0 and -0 are a tie. Overlapping windows (S < K) each route their own
// gradient, so one input can collect several.
// NaN: a NaN in a window makes y NaN, and the first NaN in window order takes
// the gradient (so a NaN input receives ȳ, as in PyTorch).
// All three rules find the arg-max the same way, with selects only (no
// branch on a value): element k is a candidate when x_k == y or x_k is NaN,
// and the first candidate is the arg-max. So the rules run unchanged on
// SIMD lanes, each lane routing its own gradient.

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/conv2d.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t K, std::size_t S>
struct max_pool2d_op : structural {
  template <class X>
  using result_shape = image<X::channels, detail::window_axis<K, S, 0, X::height>::out,
                             detail::window_axis<K, S, 0, X::width>::out>;

  // Input index of element k (row-major) of window (c, i, j).
  template <class X>
  static constexpr std::size_t at(std::size_t c, std::size_t i, std::size_t j, std::size_t k) {
    return (c * X::shape::height + i * S + k / K) * X::shape::width + j * S + k % K;
  }

  // Whether window element v may be the arg-max of a window whose maximum is m.
  template <class T>
  static auto candidate(const T& v, const T& m) {
    return v == m || math::isnan(v);
  }

  template <class Y, class X>
  static void value(Y y, X x) {
    using T = std::remove_cvref_t<decltype(y[0])>;
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j) {
          T m = T(x[at<X>(c, i, j, 0)]);
          // Strict >: a later equal value does not replace m. A NaN replaces
          // m and then stays, since nothing compares greater than it.
          for (std::size_t k = 1; k < K * K; ++k) {
            const T v = T(x[at<X>(c, i, j, k)]);
            m = math::select(v > m || math::isnan(v), v, m);
          }
          y[out++] = m;
        }
  }

  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X x, Y y) {
    using T = std::remove_cvref_t<decltype(y[0])>;
    using G = std::remove_cvref_t<decltype(ybar[0])>;  // T, or a pack of directions
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j, ++out) {
          const T m = y[out];
          const G g = ybar[out];
          const G zero = detail::zero_like(g);
          // taken: an earlier element already took the gradient.
          auto taken = candidate(T(x[at<X>(c, i, j, 0)]), m);
          xbar[at<X>(c, i, j, 0)] += math::select(taken, g, zero);
          for (std::size_t k = 1; k < K * K; ++k) {
            const auto first = candidate(T(x[at<X>(c, i, j, k)]), m) && !taken;
            xbar[at<X>(c, i, j, k)] += math::select(first, g, zero);
            taken = taken || first;
          }
        }
  }

  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X x, Y y) {
    using T = std::remove_cvref_t<decltype(y[0])>;
    using D = std::remove_cvref_t<decltype(ydot[0])>;
    std::size_t out = 0;
    for (std::size_t c = 0; c < X::shape::channels; ++c)
      for (std::size_t i = 0; i < Y::shape::height; ++i)
        for (std::size_t j = 0; j < Y::shape::width; ++j, ++out) {
          const T m = y[out];
          // Walking the window backwards, the last candidate seen is the first.
          D t = detail::zero_like(ydot[out]);
          for (std::size_t k = K * K; k-- > 0;)
            t = math::select(candidate(T(x[at<X>(c, i, j, k)]), m), D(xdot[at<X>(c, i, j, k)]), t);
          ydot[out] += t;
        }
  }
};

// The maximum of each K × K window of each channel of image x, windows S
// apart.
template <std::size_t K, std::size_t S = K, expression X>
constexpr auto max_pool2d(X x) {
  using detail::pool2d_problem;
  constexpr pool2d_problem problem =
      invalid<X> ? pool2d_problem::none : detail::pool2d_check<K, S, typename X::shape>();
  if constexpr (problem == pool2d_problem::not_image)
    static_assert(detail::report_pool2d<K, S, X>::value, "tapeless: max_pool2d<K, S>(x) needs an image x (image<C, H, W>)");
  else if constexpr (problem == pool2d_problem::zero_window_or_stride)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: max_pool2d<K, S>(x) needs a window size K and a stride S of at least 1");
  else if constexpr (problem == pool2d_problem::window_too_large)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: max_pool2d<K, S>(x): the window K is larger than x's height or width");
  else if constexpr (problem == pool2d_problem::stride)
    static_assert(detail::report_pool2d<K, S, X>::value,
                  "tapeless: max_pool2d<K, S>(x): the stride S does not divide H - K or W - K");
  return detail::make_node<max_pool2d_op<K, S>, problem == pool2d_problem::none>(x);
}

}  // namespace tapeless
