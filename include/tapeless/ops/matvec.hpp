#pragma once
// A x: matrix (M×N) times vector (N) gives a vector (M). Spelled `A * x`.
//   value  y_i = Σ_j A_ij x_j
//   VJP    Ā += ȳ xᵀ             x̄ += Aᵀ ȳ
//   JVP    ẏ += Ȧ x               ẏ += A ẋ
// Over a chunk of samples (x a multi-register number, A a parameter) the
// value and both VJPs run register-blocked (ops/blocked_products.hpp).

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/blocked_products.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

namespace detail {

// For each row i < M: acc = start(i), then acc += A(i, j) x_j for j from J0
// to N - 1 in order, then store(i, acc). Four rows at a time: a row's sum
// is a chain of multiply-adds, each waiting for the one before, so one row
// at a time leaves the FMA units idle most of the time (the one-sample
// path). Each row is summed in the same order as alone.
template <std::size_t M, std::size_t N, std::size_t J0, class Start, class A, class X, class Store>
void row_sums(Start start, A a, X x, Store store) {
  constexpr std::size_t R = 4, blocked_rows = M / R * R;  // compile-time bounds for both loops
  for (std::size_t i = 0; i < blocked_rows; i += R) {
    decltype(start(i)) acc[R] = {start(i), start(i + 1), start(i + 2), start(i + 3)};
    for (std::size_t j = J0; j < N; ++j)
      for (std::size_t r = 0; r < R; ++r) math::multiply_add(acc[r], a(i + r, j), x[j]);
    for (std::size_t r = 0; r < R; ++r) store(i + r, acc[r]);
  }
  for (std::size_t i = blocked_rows; i < M; ++i) {
    auto acc = start(i);
    for (std::size_t j = J0; j < N; ++j) math::multiply_add(acc, a(i, j), x[j]);
    store(i, acc);
  }
}

}  // namespace detail

struct matvec_op : structural {
  template <class A, class X>
  using result_shape = vec<A::rows>;

  template <class Y, class A, class X>
  static void value(Y y, A a, X x) {
    constexpr std::size_t M = A::shape::rows, N = A::shape::cols;
    if constexpr (blocked::broadcast_operands<Y, A, X>) {
      blocked::broadcast_product<false, M, N, N, 1, 1, 1>(y.data(), a.data(), x.data());
    } else {
      detail::row_sums<M, N, 1>([&](std::size_t i) { return a(i, 0) * x[0]; }, a, x,
                                [&](std::size_t i, const auto& acc) { y[i] = acc; });
    }
  }

  template <class ABar, class YBar, class A, class X, class Y>
  static void vjp(arg_t<0>, ABar abar, YBar ybar, A, X x, Y) {
    constexpr std::size_t M = A::shape::rows, N = A::shape::cols;
    if constexpr (blocked::lane_summed_operands<ABar, YBar, X>) {
      blocked::lane_summed_outer<M, N, N, 1, 1, 1>(abar.data(), ybar.data(), x.data());
    } else {
      // ȳ_i in a local: through the views the compiler must assume a store
      // to Ā may change it, and would reload it for every j.
      for (std::size_t i = 0; i < M; ++i) {
        const auto yi = ybar[i];
        for (std::size_t j = 0; j < N; ++j) math::multiply_add(abar(i, j), yi, x[j]);
      }
    }
  }
  template <class XBar, class YBar, class A, class X, class Y>
  static void vjp(arg_t<1>, XBar xbar, YBar ybar, A a, X, Y) {
    constexpr std::size_t M = A::shape::rows, N = A::shape::cols;
    if constexpr (blocked::broadcast_operands<XBar, A, YBar>) {
      blocked::broadcast_product<true, N, M, 1, N, 1, 1>(xbar.data(), a.data(), ybar.data());
    } else if constexpr (std::is_arithmetic_v<detail::number_of<XBar>> && std::is_arithmetic_v<detail::number_of<A>> &&
                         std::is_arithmetic_v<detail::number_of<YBar>>) {
      // Plain numbers (one sample): as a sum of rows of A scaled by ȳ_i,
      // into a local array, so the loop over j runs along A's rows and
      // vectorizes; summed down the columns it would be N serial chains
      // reading A with a stride.
      detail::number_of<XBar> acc[N];
      const auto y0 = ybar[0];
      for (std::size_t j = 0; j < N; ++j) acc[j] = a(0, j) * y0;
      for (std::size_t i = 1; i < M; ++i) {
        const auto yi = ybar[i];
        for (std::size_t j = 0; j < N; ++j) acc[j] += a(i, j) * yi;
      }
      for (std::size_t j = 0; j < N; ++j) xbar[j] += acc[j];
    } else {
      for (std::size_t j = 0; j < N; ++j) {
        auto acc = a(0, j) * ybar[0];
        for (std::size_t i = 1; i < M; ++i) math::multiply_add(acc, a(i, j), ybar[i]);
        xbar[j] += acc;
      }
    }
  }

  // Each row sums in a local: through the view the compiler must assume
  // ydot may alias the other operands and store after every term.
  template <class YDot, class ADot, class A, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, ADot adot, A, X x, Y) {
    detail::row_sums<A::shape::rows, A::shape::cols, 0>([&](std::size_t i) { return ydot[i]; }, adot, x,
                                                         [&](std::size_t i, const auto& acc) { ydot[i] = acc; });
  }
  template <class YDot, class XDot, class A, class X, class Y>
  static void jvp(arg_t<1>, YDot ydot, XDot xdot, A a, X, Y) {
    detail::row_sums<A::shape::rows, A::shape::cols, 0>([&](std::size_t i) { return ydot[i]; }, a, xdot,
                                                        [&](std::size_t i, const auto& acc) { ydot[i] = acc; });
  }
};

// Matrix times vector; also reached through `A * x`.
template <expression A, expression X>
constexpr auto matvec(A a, X x) {
  constexpr bool ok = invalid<A> || invalid<X> ||
                      (A::shape::rank == 2 && X::shape::rank == 1 && A::shape::cols == X::shape::size);
  if constexpr (!ok)
    static_assert(detail::report_shapes<A, X>::value,
                  "tapeless: matrix * vector needs a matrix with as many columns as the vector has entries");
  return detail::make_node<matvec_op, ok>(a, x);
}

}  // namespace tapeless
