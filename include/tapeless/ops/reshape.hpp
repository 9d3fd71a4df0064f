#pragma once
// reshape<Shape>(x): x's elements in storage order (row-major, as flatten
// reads them) with the shape Shape, which has as many elements.
//   value  y_k = x_k
//   VJP    x̄_k += ȳ_k
//   JVP    ẏ_k += ẋ_k
// reshape<vec<N>>(x) is flatten(x) (the same node), and reshape to x's own
// shape returns x.

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/flatten.hpp>

namespace tapeless {

// flatten's rules, with any result shape.
template <class Shape>
struct reshape_op : flatten_op {
  template <class X>
  using result_shape = Shape;
};

namespace detail {
// Shown in reshape's diagnostics next to the operand.
template <class Shape>
struct reshape_to {};
}  // namespace detail

template <class Shape, expression X>
constexpr auto reshape(X x) {
  using report = detail::shape_mismatch<detail::reshape_to<Shape>, typename detail::describe<X>::type>;
  constexpr bool shape = shape_type<Shape>;
  constexpr bool same_size = [] {
    if constexpr (invalid<X> || !shape_type<Shape>)
      return true;
    else
      return Shape::size == X::shape::size;
  }();
  if constexpr (!shape)
    static_assert(report::value,
                  "tapeless: reshape<Shape>(x) needs a shape: scalar, vec<N>, mat<M, N> or image<C, H, W>");
  else if constexpr (!same_size)
    static_assert(report::value, "tapeless: reshape<Shape>(x) needs Shape to have as many elements as x");
  if constexpr (!shape || !same_size || invalid<X>)
    return detail::invalid_expression{};
  else if constexpr (std::is_same_v<Shape, typename X::shape>)
    return x;
  else if constexpr (Shape::rank == 1)
    return flatten(x);
  else
    return detail::make_node<reshape_op<Shape>>(x);
}

}  // namespace tapeless
