#pragma once
// a * b, elementwise (Hadamard); a scalar operand is broadcast.
//   value  y = a b
//   VJP    ā += ȳ b,  b̄ += ȳ a    (a broadcast scalar receives the sum)
//   JVP    ẏ = ȧ b + a ḃ
//
// `operator*` reads like the math: a matrix times a vector or a matrix is a
// matrix product (`W * x`, `A * B`); a scalar operand (`M * 2_c`) makes it
// this elementwise product.
// `hadamard(A, B)` multiplies two matrices elementwise.

#include <ratio>

#include <tapeless/ops/family.hpp>
#include <tapeless/ops/matmul.hpp>
#include <tapeless/ops/matvec.hpp>

namespace tapeless {

struct mul_op : binary_elementwise {
  static auto value(const auto& a, const auto& b) { return a * b; }

  static auto vjp(arg_t<0>, const auto&, const auto& b, const auto&, const auto& ybar) { return ybar * b; }
  static auto vjp(arg_t<1>, const auto& a, const auto&, const auto&, const auto& ybar) { return ybar * a; }

  static auto jvp(arg_t<0>, const auto&, const auto& b, const auto&, const auto& adot) { return adot * b; }
  static auto jvp(arg_t<1>, const auto& a, const auto&, const auto&, const auto& bdot) { return a * bdot; }
};

template <expression A, expression B>
constexpr auto hadamard(A a, B b) {
  if constexpr (!detail::broadcastable<A, B>)
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: elementwise a * b needs operands of the same shape, or one scalar operand");
  return detail::make_node<mul_op, detail::broadcastable<A, B>>(a, b);
}

template <expression A, expression B>
constexpr auto operator*(A a, B b) {
  if constexpr (invalid<A> || invalid<B>) {
    return detail::invalid_expression{};
  } else if constexpr (constant_expression<A> && constant_expression<B>) {
    return detail::fold_constants<std::ratio_multiply, A, B>();
  } else if constexpr (A::shape::rank == 2 && B::shape::rank == 1) {
    return matvec(a, b);
  } else if constexpr (A::shape::rank == 2 && B::shape::rank == 2) {
    return matmul(a, b);
  } else if constexpr (A::shape::rank == 1 && B::shape::rank == 2) {
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: vector * matrix is not defined (vectors are columns); write transpose(W) * v");
    return detail::invalid_expression{};
  } else {
    return hadamard(a, b);
  }
}

}  // namespace tapeless
