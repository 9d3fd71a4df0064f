#pragma once
// slice<Begin, Count>(v): the elements [Begin, Begin + Count) of a vector,
// a vec<Count>.
//   value  y_k = v_(Begin+k)
//   VJP    v̄_(Begin+k) += ȳ_k            (the other elements get nothing)
//   JVP    ẏ_k += v̇_(Begin+k)

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

template <std::size_t Begin, std::size_t Count>
struct slice_op : structural {
  template <class V>
  using result_shape = vec<Count>;

  template <class Y, class V>
  static void value(Y y, V v) {
    for (std::size_t k = 0; k < Count; ++k) y[k] = v[Begin + k];
  }
  template <class VBar, class YBar, class V, class Y>
  static void vjp(arg_t<0>, VBar vbar, YBar ybar, V, Y) {
    for (std::size_t k = 0; k < Count; ++k) vbar[Begin + k] += ybar[k];
  }
  template <class YDot, class VDot, class V, class Y>
  static void jvp(arg_t<0>, YDot ydot, VDot vdot, V, Y) {
    for (std::size_t k = 0; k < Count; ++k) ydot[k] += vdot[Begin + k];
  }
};

namespace detail {
// Shown in a slice's diagnostic next to the operand.
template <std::size_t Begin, std::size_t Count>
struct slice_range {};
}  // namespace detail

template <std::size_t Begin, std::size_t Count, expression V>
constexpr auto slice(V v) {
  using report = detail::shape_mismatch<detail::slice_range<Begin, Count>, typename detail::describe<V>::type>;
  constexpr bool vector = invalid<V> || V::shape::rank == 1;
  constexpr bool nonempty = Count >= 1;
  // Begin + Count could wrap around; Count <= size - Begin cannot.
  constexpr bool in_range = invalid<V> || !vector || (Begin <= V::shape::size && Count <= V::shape::size - Begin);
  if constexpr (!vector)
    static_assert(report::value, "tapeless: slice<Begin, Count>(v) needs a vector v");
  else if constexpr (!nonempty)
    static_assert(report::value, "tapeless: slice<Begin, Count>(v) needs Count >= 1 (there is no vec<0>)");
  else if constexpr (!in_range)
    static_assert(report::value, "tapeless: slice<Begin, Count>(v) needs Begin + Count <= the vector's size");
  return detail::make_node<slice_op<Begin, Count>, vector && nonempty && in_range>(v);
}

}  // namespace tapeless
