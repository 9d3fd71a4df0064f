#pragma once
// a / b, elementwise; a scalar operand is broadcast.
//   value  y = a / b
//   VJP    ā += ȳ / b,  b̄ -= ȳ y / b      (y / b = a / b²)
//   JVP    ẏ = ȧ / b - ḃ y / b
// Division by zero follows IEEE arithmetic (inf or NaN), as in the value.

#include <ratio>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct div_op : binary_elementwise {
  static auto value(const auto& a, const auto& b) { return a / b; }

  static auto vjp(arg_t<0>, const auto&, const auto& b, const auto&, const auto& ybar) { return ybar / b; }
  static auto vjp(arg_t<1>, const auto&, const auto& b, const auto& y, const auto& ybar) { return -(ybar * y) / b; }

  static auto jvp(arg_t<0>, const auto&, const auto& b, const auto&, const auto& adot) { return adot / b; }
  static auto jvp(arg_t<1>, const auto&, const auto& b, const auto& y, const auto& bdot) { return -(bdot * y) / b; }
};

template <expression A, expression B>
constexpr auto operator/(A a, B b) {
  if constexpr (constant_expression<A> && constant_expression<B>) {
    static_assert(detail::single_leaf<B>::type::value::num != 0, "tapeless: division of two constants by zero");
    return detail::fold_constants<std::ratio_divide, A, B>();
  } else {
    if constexpr (!detail::broadcastable<A, B>)
      static_assert(detail::report_shapes<A, B>::value,
                    "tapeless: a / b needs operands of the same shape, or one scalar operand");
    return detail::make_node<div_op, detail::broadcastable<A, B>>(a, b);
  }
}

}  // namespace tapeless
