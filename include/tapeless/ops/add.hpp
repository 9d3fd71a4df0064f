#pragma once
// a + b, elementwise; a scalar operand is broadcast.
//   value  y = a + b
//   VJP    ā += ȳ,  b̄ += ȳ      (a broadcast scalar receives the sum)
//   JVP    ẏ = ȧ + ḃ

#include <ratio>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct add_op : binary_elementwise {
  static auto value(const auto& a, const auto& b) { return a + b; }

  static auto vjp(arg_t<0>, const auto&, const auto&, const auto&, const auto& ybar) { return ybar; }
  static auto vjp(arg_t<1>, const auto&, const auto&, const auto&, const auto& ybar) { return ybar; }
  static constexpr bool identity_vjp(std::size_t) { return true; }

  static auto jvp(arg_t<0>, const auto&, const auto&, const auto&, const auto& adot) { return adot; }
  static auto jvp(arg_t<1>, const auto&, const auto&, const auto&, const auto& bdot) { return bdot; }
};

template <expression A, expression B>
constexpr auto operator+(A a, B b) {
  if constexpr (constant_expression<A> && constant_expression<B>) {
    return detail::fold_constants<std::ratio_add, A, B>();
  } else {
    if constexpr (!detail::broadcastable<A, B>)
      static_assert(detail::report_shapes<A, B>::value,
                    "tapeless: a + b needs operands of the same shape, or one scalar operand");
    return detail::make_node<add_op, detail::broadcastable<A, B>>(a, b);
  }
}

}  // namespace tapeless
