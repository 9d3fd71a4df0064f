#pragma once
// conv2d<K, S, P>(W, x): 2-D convolution (cross-correlation, as in deep
// learning libraries) of an image x (C × H × W') with the filters in the rows
// of W, stride S, zero padding P. Output image<Out, H_o, W_o>, where
// H_o = (H + 2P - K) / S + 1 and likewise W_o.
//   value  y(o,i,j) = Σ_{c,p,q} W(o, f) x(c, iS + p - P, jS + q - P),  f = (cK + p)K + q,
//          x read as 0 outside the image
//   VJP    W̄(o,f) += Σ_{i,j} ȳ(o,i,j) x(c, iS+p-P, jS+q-P)
//          x̄(c,h,w) += Σ_{o,p,q} W(o,f) ȳ(o,i,j)  over the (i,j) with iS+p-P = h, jS+q-P = w
//   JVP    ẏ += conv(Ẇ, x) + conv(W, ẋ)
// W is mat<Out, C·K·K>: row o is filter o laid out [c][p][q], PyTorch's
// weight[Out][C][K][K] flattened. conv2d<K, S, P>(W, x, b) adds the bias
// b (vec<Out>) to every pixel of channel o: add_channel_bias below, a node
// of its own, since a node has at most two operands (core/merge.hpp).
//
// Loops: the value and the JVPs keep one output pixel's sum in a register
// and walk the filter row and the input row together (contiguous). The VJP
// gathers: each W̄ entry and each x̄ pixel is one register sum written once,
// so a SIMD parameter adjoint is reduced across lanes once per entry, not
// once per product. Over a chunk of samples (x a multi-register number, W a
// parameter) the value, the JVP in x and W̄ run register-blocked, with
// compile-time tap bounds per run of border pixels (ops/blocked_conv2d.hpp);
// x̄ keeps the plain loops.

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/blocked_conv2d.hpp>
#include <tapeless/ops/blocked_products.hpp>
#include <tapeless/ops/family.hpp>
#include <tapeless/ops/window.hpp>

namespace tapeless {

namespace detail {

template <class T>
T zero_of() {
  return T(typename element_of<T>::type(0));
}

// What a conv2d diagnostic shows besides the operands.
template <std::size_t Kernel, std::size_t Stride, std::size_t Padding>
struct conv2d_settings {};

}  // namespace detail

template <std::size_t K, std::size_t S, std::size_t P>
struct conv2d_op : structural {
  template <class Wt, class X>
  using result_shape = image<Wt::rows, detail::window_axis<K, S, P, X::height>::out,
                             detail::window_axis<K, S, P, X::width>::out>;

  template <class X>
  using rows_of = detail::window_axis<K, S, P, X::shape::height>;
  template <class X>
  using cols_of = detail::window_axis<K, S, P, X::shape::width>;

  // acc += Σ_{c,p,q} w(o, f) x(c, iS+p-P, jS+q-P): one output pixel.
  template <class Acc, class Wt, class X>
  static void pixel(Acc& acc, Wt w, X x, std::size_t o, std::size_t i, std::size_t j) {
    constexpr std::size_t C = X::shape::channels, H = X::shape::height, W = X::shape::width;
    const auto rows = rows_of<X>::taps(i);
    const auto cols = cols_of<X>::taps(j);
    const auto* filter = w.data() + o * (C * K * K);
    const auto* in = x.data();
    if (rows.first == 0 && rows.last == K && cols.first == 0 && cols.last == K) {
      // The whole window is inside (every pixel when P = 0): loops of known
      // length, which the compiler unrolls and keeps acc in registers for.
      const auto* xw = in + (i * S - P) * W + (j * S - P);
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t p = 0; p < K; ++p) {
          const auto* wr = filter + (c * K + p) * K;
          const auto* xr = xw + (c * H + p) * W;
          for (std::size_t q = 0; q < K; ++q) math::multiply_add(acc, wr[q], xr[q]);
        }
      return;
    }
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t p = rows.first; p < rows.last; ++p) {
        const auto* wr = filter + (c * K + p) * K;
        const auto* xr = in + (c * H + (i * S + p - P)) * W;  // input row iS+p-P
        for (std::size_t q = cols.first; q < cols.last; ++q) math::multiply_add(acc, wr[q], xr[j * S + q - P]);
      }
  }

  // out = conv(w, x), or out += conv(w, x) when Accumulate.
  template <bool Accumulate, class Out, class Wt, class X>
  static void correlate(Out out, Wt w, X x) {
    using Acc = std::remove_cvref_t<decltype(w[0] * x[0])>;
    constexpr std::size_t Ho = Out::shape::height, Wo = Out::shape::width;
    for (std::size_t o = 0; o < Wt::shape::rows; ++o)
      for (std::size_t i = 0; i < Ho; ++i)
        for (std::size_t j = 0; j < Wo; ++j) {
          Acc acc = detail::zero_of<Acc>();
          pixel(acc, w, x, o, i, j);
          if constexpr (Accumulate)
            out(o, i, j) += acc;
          else
            out(o, i, j) = acc;
        }
  }

  // conv(w, x) over a chunk of samples (w a parameter, x a multi-register
  // number): the register-blocked form.
  template <bool Accumulate, class Out, class Wt, class X>
  static void correlate_any(Out out, Wt w, X x) {
    if constexpr (blocked::broadcast_operands<Out, Wt, X>) {
      using XS = typename X::shape;
      blocked::conv_forward<Accumulate, K, S, P, Wt::shape::rows, XS::channels, XS::height, XS::width>(
          out.data(), w.data(), x.data());
    } else {
      correlate<Accumulate>(out, w, x);
    }
  }

  template <class Y, class Wt, class X>
  static void value(Y y, Wt w, X x) {
    correlate_any<false>(y, w, x);
  }

  // W̄(o,f) += Σ_{i,j} ȳ(o,i,j) x(c, iS+p-P, jS+q-P)
  template <class WBar, class YBar, class Wt, class X, class Y>
  static void vjp(arg_t<0>, WBar wbar, YBar ybar, Wt, X x, Y) {
    if constexpr (blocked::lane_summed_operands<WBar, YBar, X>) {
      using XS = typename X::shape;
      blocked::conv_filter_gradient<K, S, P, Wt::shape::rows, XS::channels, XS::height, XS::width>(
          wbar.data(), ybar.data(), x.data());
    } else {
      filter_gradient(wbar, ybar, x);
    }
  }
  template <class WBar, class YBar, class X>
  static void filter_gradient(WBar wbar, YBar ybar, X x) {
    using Acc = std::remove_cvref_t<decltype(ybar[0] * x[0])>;
    constexpr std::size_t C = X::shape::channels, H = X::shape::height, W = X::shape::width;
    constexpr std::size_t Ho = YBar::shape::height, Wo = YBar::shape::width;
    for (std::size_t o = 0; o < YBar::shape::channels; ++o)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t p = 0; p < K; ++p) {
          const auto is = rows_of<X>::outputs(p);
          for (std::size_t q = 0; q < K; ++q) {
            const auto js = cols_of<X>::outputs(q);
            Acc acc = detail::zero_of<Acc>();
            for (std::size_t i = is.first; i < is.last; ++i) {
              const auto* yr = ybar.data() + (o * Ho + i) * Wo;
              const auto* xr = x.data() + (c * H + (i * S + p - P)) * W;  // input row iS+p-P
              for (std::size_t j = js.first; j < js.last; ++j) math::multiply_add(acc, yr[j], xr[j * S + q - P]);
            }
            wbar(o, (c * K + p) * K + q) += acc;
          }
        }
  }

  // x̄(c,h,w) += Σ_{o,p,q} W(o,f) ȳ(o,i,j) with iS = h+P-p, jS = w+P-q
  template <class XBar, class YBar, class Wt, class X, class Y>
  static void vjp(arg_t<1>, XBar xbar, YBar ybar, Wt w, X, Y) {
    using Acc = std::remove_cvref_t<decltype(w[0] * ybar[0])>;
    constexpr std::size_t C = X::shape::channels, H = X::shape::height, W = X::shape::width;
    constexpr std::size_t Out = Wt::shape::rows, Ho = Y::shape::height, Wo = Y::shape::width;
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t h = 0; h < H; ++h) {
        const auto ps = hitting_taps<Ho>(h);
        for (std::size_t x_col = 0; x_col < W; ++x_col) {
          const auto qs = hitting_taps<Wo>(x_col);
          Acc acc = detail::zero_of<Acc>();
          for (std::size_t o = 0; o < Out; ++o)
            for (std::size_t p = ps.first; p < ps.last; p += S) {
              const auto* wr = w.data() + o * (C * K * K) + (c * K + p) * K;
              const auto* yr = ybar.data() + (o * Ho + (h + P - p) / S) * Wo;
              for (std::size_t q = qs.first; q < qs.last; q += S) math::multiply_add(acc, wr[q], yr[(x_col + P - q) / S]);
            }
          xbar(c, h, x_col) += acc;
        }
      }
  }

  // The taps p (stepping by S from first, below last) that reach input
  // index h from some output index i in [0, Out): iS = h + P - p.
  template <std::size_t OutExtent>
  static constexpr detail::index_range hitting_taps(std::size_t h) {
    const std::size_t reach = h + P;                           // = iS + p
    const std::size_t top = (OutExtent - 1) * S;               // largest iS
    std::size_t first = reach > top ? reach - top : 0;         // p >= reach - top
    first += (reach - first) % S;                              // p ≡ reach (mod S); stays <= reach
    const std::size_t last = reach + 1 < K ? reach + 1 : K;    // p <= reach, p < K
    return {first, last > first ? last : first};
  }

  template <class YDot, class WDot, class Wt, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, WDot wdot, Wt, X x, Y) {
    correlate<true>(ydot, wdot, x);
  }
  template <class YDot, class XDot, class Wt, class X, class Y>
  static void jvp(arg_t<1>, YDot ydot, XDot xdot, Wt w, X, Y) {
    correlate_any<true>(ydot, w, xdot);
  }
};

// y + b with b[c] added to every pixel of channel c: the bias of a
// convolution.
//   value  y(c,h,w) = a(c,h,w) + b_c
//   VJP    ā += ȳ          b̄_c += Σ_{h,w} ȳ(c,h,w)
//   JVP    ẏ += ȧ          ẏ(c,h,w) += ḃ_c
struct add_channel_bias_op : structural {
  template <class A, class B>
  using result_shape = A;

  template <class Y, class A, class B>
  static void value(Y y, A a, B b) {
    using T = std::remove_cvref_t<decltype(a[0] + b[0])>;
    constexpr std::size_t plane = A::shape::height * A::shape::width;
    for (std::size_t c = 0; c < A::shape::channels; ++c) {
      const T bc = T(b[c]);
      for (std::size_t k = c * plane; k < (c + 1) * plane; ++k) y[k] = a[k] + bc;
    }
  }

  template <class ABar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, B, Y) {
    for (std::size_t k = 0; k < Y::size(); ++k) abar[k] += ybar[k];
  }
  template <class BBar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<1>, BBar bbar, YBar ybar, A, B, Y) {
    constexpr std::size_t plane = A::shape::height * A::shape::width;
    for (std::size_t c = 0; c < A::shape::channels; ++c) {
      auto acc = ybar[c * plane];
      for (std::size_t k = c * plane + 1; k < (c + 1) * plane; ++k) acc += ybar[k];
      bbar[c] += acc;
    }
  }

  template <class YDot, class ADot, class A, class B, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, B, Y) {
    for (std::size_t k = 0; k < Y::size(); ++k) ydot[k] += adot[k];
  }
  template <class YDot, class BDot, class A, class B, class Y>
  static void jvp(arg_t<1>, YDot ydot, BDot bdot, A, B, Y) {
    using T = std::remove_cvref_t<decltype(ydot[0])>;
    constexpr std::size_t plane = A::shape::height * A::shape::width;
    for (std::size_t c = 0; c < A::shape::channels; ++c) {
      const T bc = T(bdot[c]);
      for (std::size_t k = c * plane; k < (c + 1) * plane; ++k) ydot[k] += bc;
    }
  }
};

namespace detail {

enum class conv2d_problem { none, not_matrix_and_image, zero_kernel_or_stride, channels, kernel_too_large, stride };

template <std::size_t K, std::size_t S, std::size_t P, class WS, class XS>
constexpr conv2d_problem conv2d_check() {
  if constexpr (WS::rank != 2 || XS::rank != 3) {
    return conv2d_problem::not_matrix_and_image;
  } else {
    using rows = window_axis<K, S, P, XS::height>;
    using cols = window_axis<K, S, P, XS::width>;
    if (K == 0 || S == 0) return conv2d_problem::zero_kernel_or_stride;
    if (WS::cols != XS::channels * K * K) return conv2d_problem::channels;
    if (!rows::fits || !cols::fits) return conv2d_problem::kernel_too_large;
    if (!rows::divides || !cols::divides) return conv2d_problem::stride;
    return conv2d_problem::none;
  }
}

template <class AS, class BS>
constexpr bool one_bias_per_channel() {
  if constexpr (AS::rank == 3 && BS::rank == 1)
    return BS::size == AS::channels;
  else
    return false;
}

template <std::size_t K, std::size_t S, std::size_t P, class... Operands>
using report_conv2d = shape_mismatch<conv2d_settings<K, S, P>, typename describe<Operands>::type...>;

// Pooling windows: K × K, stride S, no padding.
template <std::size_t Window, std::size_t Stride>
struct pool2d_settings {};

enum class pool2d_problem { none, not_image, zero_window_or_stride, window_too_large, stride };

template <std::size_t K, std::size_t S, class XS>
constexpr pool2d_problem pool2d_check() {
  if constexpr (XS::rank != 3) {
    return pool2d_problem::not_image;
  } else {
    using rows = window_axis<K, S, 0, XS::height>;
    using cols = window_axis<K, S, 0, XS::width>;
    if (K == 0 || S == 0) return pool2d_problem::zero_window_or_stride;
    if (!rows::fits || !cols::fits) return pool2d_problem::window_too_large;
    if (!rows::divides || !cols::divides) return pool2d_problem::stride;
    return pool2d_problem::none;
  }
}

template <std::size_t K, std::size_t S, class X>
using report_pool2d = shape_mismatch<pool2d_settings<K, S>, typename describe<X>::type>;

}  // namespace detail

// y = a + b[c] on channel c; a is an image, b a vector with one entry per
// channel.
template <expression A, expression B>
constexpr auto add_channel_bias(A a, B b) {
  constexpr bool ok = invalid<A> || invalid<B> || detail::one_bias_per_channel<typename A::shape, typename B::shape>();
  if constexpr (!ok)
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: add_channel_bias(y, b) needs an image y and a vector b with one entry per channel of y");
  return detail::make_node<add_channel_bias_op, ok>(a, b);
}

// The convolution with filters W (mat<Out, C·K·K>) of image x
// (image<C, H, W>), stride S, zero padding P.
template <std::size_t K, std::size_t S = 1, std::size_t P = 0, expression Wt, expression X>
constexpr auto conv2d(Wt w, X x) {
  using detail::conv2d_problem;
  constexpr conv2d_problem problem = invalid<Wt> || invalid<X>
                                         ? conv2d_problem::none
                                         : detail::conv2d_check<K, S, P, typename Wt::shape, typename X::shape>();
  if constexpr (problem == conv2d_problem::not_matrix_and_image)
    static_assert(detail::report_conv2d<K, S, P, Wt, X>::value,
                  "tapeless: conv2d<K, S, P>(W, x) needs a filter matrix W (mat<out channels, in channels * K * K>) "
                  "and an image x (image<C, H, W>)");
  else if constexpr (problem == conv2d_problem::zero_kernel_or_stride)
    static_assert(detail::report_conv2d<K, S, P, Wt, X>::value,
                  "tapeless: conv2d<K, S, P>(W, x) needs a kernel size K and a stride S of at least 1");
  else if constexpr (problem == conv2d_problem::channels)
    static_assert(detail::report_conv2d<K, S, P, Wt, X>::value,
                  "tapeless: conv2d<K, S, P>(W, x): channel mismatch, W needs (channels of x) * K * K columns");
  else if constexpr (problem == conv2d_problem::kernel_too_large)
    static_assert(detail::report_conv2d<K, S, P, Wt, X>::value,
                  "tapeless: conv2d<K, S, P>(W, x): the kernel K is larger than the padded input (H + 2P or W + 2P)");
  else if constexpr (problem == conv2d_problem::stride)
    static_assert(detail::report_conv2d<K, S, P, Wt, X>::value,
                  "tapeless: conv2d<K, S, P>(W, x): the stride S does not divide H + 2P - K or W + 2P - K");
  return detail::make_node<conv2d_op<K, S, P>, problem == conv2d_problem::none>(w, x);
}

// conv2d<K, S, P>(W, x) plus the bias b (vec<Out>) on each output channel.
template <std::size_t K, std::size_t S = 1, std::size_t P = 0, expression Wt, expression X, expression B>
constexpr auto conv2d(Wt w, X x, B b) {
  return add_channel_bias(conv2d<K, S, P>(w, x), b);
}

}  // namespace tapeless
