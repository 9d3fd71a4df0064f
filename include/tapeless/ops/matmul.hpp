#pragma once
// A B: matrix (M×K) times matrix (K×N) gives a matrix (M×N). Spelled `A * B`.
//   value  Y_ij = Σ_k A_ik B_kj
//   VJP    Ā += Ȳ Bᵀ              B̄ += Aᵀ Ȳ
//   JVP    Ẏ += Ȧ B               Ẏ += A Ḃ

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct matmul_op : structural {
  template <class A, class B>
  using result_shape = mat<A::rows, B::cols>;

  template <class Y, class A, class B>
  static void value(Y y, A a, B b) {
    constexpr std::size_t inner = A::shape::cols;
    for (std::size_t i = 0; i < Y::shape::rows; ++i)
      for (std::size_t j = 0; j < Y::shape::cols; ++j) {
        auto acc = a(i, 0) * b(0, j);
        for (std::size_t k = 1; k < inner; ++k) math::multiply_add(acc, a(i, k), b(k, j));
        y(i, j) = acc;
      }
  }

  template <class ABar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, B b, Y) {
    for (std::size_t i = 0; i < A::shape::rows; ++i)
      for (std::size_t k = 0; k < A::shape::cols; ++k) {
        auto acc = ybar(i, 0) * b(k, 0);
        for (std::size_t j = 1; j < Y::shape::cols; ++j) math::multiply_add(acc, ybar(i, j), b(k, j));
        abar(i, k) += acc;
      }
  }
  template <class BBar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<1>, BBar bbar, YBar ybar, A a, B, Y) {
    for (std::size_t k = 0; k < B::shape::rows; ++k)
      for (std::size_t j = 0; j < B::shape::cols; ++j) {
        auto acc = a(0, k) * ybar(0, j);
        for (std::size_t i = 1; i < A::shape::rows; ++i) math::multiply_add(acc, a(i, k), ybar(i, j));
        bbar(k, j) += acc;
      }
  }

  template <class YDot, class ADot, class A, class B, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, B b, Y) {
    for (std::size_t i = 0; i < Y::shape::rows; ++i)
      for (std::size_t j = 0; j < Y::shape::cols; ++j) {
        auto acc = ydot(i, j);  // a local: see matvec's JVP
        for (std::size_t k = 0; k < A::shape::cols; ++k) math::multiply_add(acc, adot(i, k), b(k, j));
        ydot(i, j) = acc;
      }
  }
  template <class YDot, class BDot, class A, class B, class Y>
  static void jvp(arg_t<1>, YDot ydot, BDot bdot, A a, B, Y) {
    for (std::size_t i = 0; i < Y::shape::rows; ++i)
      for (std::size_t j = 0; j < Y::shape::cols; ++j) {
        auto acc = ydot(i, j);
        for (std::size_t k = 0; k < A::shape::cols; ++k) math::multiply_add(acc, a(i, k), bdot(k, j));
        ydot(i, j) = acc;
      }
  }
};

// Matrix times matrix; also reached through `A * B`.
template <expression A, expression B>
constexpr auto matmul(A a, B b) {
  constexpr bool ok = invalid<A> || invalid<B> ||
                      (A::shape::rank == 2 && B::shape::rank == 2 && A::shape::cols == B::shape::rows);
  // Two matrices of one shape that cannot be multiplied were most likely
  // meant elementwise: say where that product is.
  constexpr bool same_shape = !ok && A::shape::rank == 2 && std::is_same_v<typename A::shape, typename B::shape>;
  if constexpr (same_shape)
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: A * B of two matrices is the matrix product, and these (same shape, above) cannot be "
                  "multiplied; for the elementwise product write hadamard(A, B)");
  else if constexpr (!ok)
    static_assert(detail::report_shapes<A, B>::value,
                  "tapeless: matrix * matrix needs the left matrix to have as many columns as the right one has rows");
  return detail::make_node<matmul_op, ok>(a, b);
}

}  // namespace tapeless
