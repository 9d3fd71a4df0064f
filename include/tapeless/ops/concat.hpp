#pragma once
// concat(a, b, ...): vectors (and scalars, as one-element pieces) one after
// the other, a vec<total size>; 2 to 8 operands (max_op_args).
//   value  y = (a, b, ...):  y_(o_i + k) = x_i,k, o_i = size of the pieces before x_i
//   VJP    x̄_i,k += ȳ_(o_i + k)          (ȳ split into the pieces)
//   JVP    ẏ_(o_i + k) += ẋ_i,k

#include <array>
#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct concat_op : structural {
  template <class... X>
  using result_shape = vec<(X::size + ...)>;

  // Where piece I starts in y: the sizes of the views before it. The views
  // are the pieces then y, so I indexes the pieces.
  template <std::size_t I, class... V>
  static constexpr std::size_t offset() {
    constexpr std::array<std::size_t, sizeof...(V)> sizes{V::size()...};
    std::size_t o = 0;
    for (std::size_t i = 0; i < I; ++i) o += sizes[i];
    return o;
  }

  template <class Y, class... X>
  static void value(Y y, X... x) {
    std::size_t o = 0;
    auto copy = [&](auto piece) {
      for (std::size_t k = 0; k < piece.size(); ++k) y[o + k] = piece[k];
      o += piece.size();
    };
    (copy(x), ...);
  }
  template <std::size_t I, class XBar, class YBar, class... V>
  static void vjp(arg_t<I>, XBar xbar, YBar ybar, V...) {
    constexpr std::size_t o = offset<I, V...>();
    for (std::size_t k = 0; k < XBar::size(); ++k) xbar[k] += ybar[o + k];
  }
  template <std::size_t I, class YDot, class XDot, class... V>
  static void jvp(arg_t<I>, YDot ydot, XDot xdot, V...) {
    constexpr std::size_t o = offset<I, V...>();
    for (std::size_t k = 0; k < XDot::size(); ++k) ydot[o + k] += xdot[k];
  }
};

namespace detail {
// A piece concat and stack take: a vector, or for concat a scalar.
template <class X, bool Scalars>
constexpr bool joinable() {
  if constexpr (invalid<X>)
    return true;
  else
    return X::shape::rank == 1 || (Scalars && X::shape::rank == 0);
}
}  // namespace detail

template <expression A, expression B, expression... Rest>
constexpr auto concat(A a, B b, Rest... rest) {
  using report = detail::report_shapes<A, B, Rest...>;
  constexpr bool count_ok = 2 + sizeof...(Rest) <= detail::max_op_args;
  constexpr bool pieces_ok =
      detail::joinable<A, true>() && detail::joinable<B, true>() && (detail::joinable<Rest, true>() && ...);
  if constexpr (!count_ok)
    static_assert(report::value,
                  "tapeless: concat(a, b, ...) takes at most 8 operands (max_op_args); concat the first ones, then "
                  "that with the rest");
  else if constexpr (!pieces_ok)
    static_assert(report::value, "tapeless: concat(a, b, ...) needs vectors or scalars");
  return detail::make_node<concat_op, count_ok && pieces_ok>(a, b, rest...);
}

}  // namespace tapeless
