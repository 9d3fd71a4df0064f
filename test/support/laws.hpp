#pragma once
// The law checker every op test uses.
//
// For an expression f over named inputs, at a seeded random point x:
//   - value(f) matches a plain reference implementation written in the test;
//   - the full Jacobian J is built by central differences, one input scalar
//     at a time;
//   - the JVP along every basis vector and along random directions u equals
//     J u (forward-mode rule vs finite differences);
//   - the VJP of random cotangents v equals Jᵀ v (reverse-mode rule vs
//     finite differences);
//   - ⟨J u, v⟩ computed with the JVP equals ⟨u, Jᵀ v⟩ computed with the VJP
//     to rounding (the two rules are transposes of each other);
//   - jacobian() in forward mode (n sweeps) and in reverse mode (m sweeps)
//     both equal J;
//   - second order, through the adjoint rules on dual numbers: for
//     g(x) = Σ c ⊙ f(x) with a random c, hessian(g) equals the central
//     differences of the VJP ∇g = Jᵀ c and is symmetric (hvp itself, the
//     same sweep with one direction, is checked on whole networks in
//     test/modes).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

namespace laws {

using tapeless::detail::type_list;

template <class F>
using inputs_of = tapeless::input_values<F, double>;

template <class V>
std::vector<double> flat(const V& v) {
  if constexpr (std::is_arithmetic_v<V>)
    return {double(v)};
  else
    return std::vector<double>(v.begin(), v.end());
}

// f evaluated with every input bound to its region of X.
template <class F>
std::vector<double> eval(F f, const inputs_of<F>& X) {
  return [&]<class... I>(type_list<I...>) {
    return flat(
        tapeless::value(f, tapeless::binding<typename I::name, tapeless::tensor_view<const double, typename I::shape>>{
                               X.template view<I>()}...));
  }(typename tapeless::graph<F>::inputs{});
}

template <class F>
std::vector<double> jvp(F f, const inputs_of<F>& X, const inputs_of<F>& U) {
  return [&]<class... I>(type_list<I...>) {
    return flat(tapeless::jvp(
                    f,
                    tapeless::binding<typename I::name, tapeless::tensor_view<const double, typename I::shape>>{
                        X.template view<I>()}...,
                    tapeless::tangent_binding<typename I::name, tapeless::tensor_view<const double, typename I::shape>>{
                        U.template view<I>()}...)
                    .tangent);
  }(typename tapeless::graph<F>::inputs{});
}

template <class F>
inputs_of<F> vjp(F f, const inputs_of<F>& X, const std::vector<double>& v) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::vjp(f, v,
                         tapeless::binding<typename I::name, tapeless::tensor_view<const double, typename I::shape>>{
                             X.template view<I>()}...)
        .input_grad;
  }(typename tapeless::graph<F>::inputs{});
}

template <class F, class I>
auto bound(const inputs_of<F>& X) {
  return tapeless::binding<typename I::name, tapeless::tensor_view<const double, typename I::shape>>{
      X.template view<I>()};
}

// The Jacobian of f with respect to all its inputs, in the given mode.
template <tapeless::sweep_mode Mode, class F>
auto jacobian(F f, const inputs_of<F>& X) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::jacobian<Mode>(f, tapeless::wrt_t<typename I::name...>{}, bound<F, I>(X)...);
  }(typename tapeless::graph<F>::inputs{});
}

// The cotangent input of the contraction g = Σ c ⊙ f.
template <class F>
constexpr auto contraction(F f) {
  return tapeless::sum(tapeless::hadamard(f, tapeless::input<"laws.c", typename F::shape>));
}

// The Hessian of Σ c ⊙ f with respect to f's inputs.
template <class F>
auto contracted_hessian(F f, const inputs_of<F>& X, const std::vector<double>& c) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::hessian(contraction(f), tapeless::wrt_t<typename I::name...>{}, bound<F, I>(X)...,
                             tapeless::bind<"laws.c">(c));
  }(typename tapeless::graph<F>::inputs{});
}
inline double dot(const double* a, const double* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

using fixtures::mixed_error;

struct options {
  double lo = -2, hi = 2;      // inputs drawn uniformly from [lo, hi]
  double fd_tolerance = 1e-7;  // JVP / VJP vs central differences
  double identity_tolerance = 1e-12;
  unsigned seed = 20261128;
  int points = 3;  // random points tried
};

// The assertions of check() below, on plain numbers: not templates, so each
// test file compiles them (and doctest's expansion of every CHECK) once,
// not once per expression checked. J is m x n, row-major.
namespace assertions {

inline void value(const std::vector<double>& y, const std::vector<double>& expected, std::size_t m) {
  REQUIRE(y.size() == m);
  REQUIRE(expected.size() == m);
  for (std::size_t i = 0; i < m; ++i) {
    CAPTURE(i);
    CHECK(mixed_error(y[i], expected[i]) <= 1e-14);
  }
}

// The JVP t along direction U (basis vector j, or random when j == n), the
// VJP g of the cotangent v, and the adjoint identity between them.
inline void jvp_vjp(const std::vector<double>& J, std::size_t m, std::size_t n, std::size_t j, const double* U,
                    const std::vector<double>& t, const std::vector<double>& v, const double* g,
                    const options& opt) {
  for (std::size_t i = 0; i < m; ++i) {
    double Ju = 0;
    for (std::size_t k = 0; k < n; ++k) Ju += J[i * n + k] * U[k];
    CAPTURE(j);
    CAPTURE(i);
    CHECK(mixed_error(t[i], Ju) <= opt.fd_tolerance);
  }
  for (std::size_t k = 0; k < n; ++k) {
    double JTv = 0;
    for (std::size_t i = 0; i < m; ++i) JTv += J[i * n + k] * v[i];
    CAPTURE(k);
    CHECK(mixed_error(g[k], JTv) <= opt.fd_tolerance);
  }
  const double lhs = dot(t.data(), v.data(), m);
  const double rhs = dot(U, g, n);
  CHECK(mixed_error(lhs, rhs) <= opt.identity_tolerance);
}

// jacobian() by columns (forward mode) and by rows (reverse mode), both m x n.
inline void jacobians(const std::vector<double>& J, const std::vector<double>& by_columns,
                      const std::vector<double>& by_rows, std::size_t m, std::size_t n, const options& opt) {
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(mixed_error(by_columns[i * n + j], J[i * n + j]) <= opt.fd_tolerance);
      CHECK(mixed_error(by_rows[i * n + j], by_columns[i * n + j]) <= opt.identity_tolerance);
    }
}

// Column j of the Hessian H (n x n) against the central difference fd of
// the gradient along input j, and H's symmetry.
inline void hessian_column(const std::vector<double>& H, std::size_t n, std::size_t j, const std::vector<double>& fd,
                           const options& opt) {
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    CAPTURE(j);
    CHECK(mixed_error(H[i * n + j], fd[i]) <= opt.fd_tolerance);
    CHECK(mixed_error(H[i * n + j], H[j * n + i]) <= opt.identity_tolerance);
  }
}

}  // namespace assertions

// Runs every law for f. `reference(X)` returns f's value at X, computed
// without the library. The numbers are computed here, per expression; the
// comparisons are in `assertions`.
template <class F, class Reference>
void check(F f, Reference reference, options opt = {}) {
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> in(opt.lo, opt.hi), dir(-1.0, 1.0);
  constexpr std::size_t n = inputs_of<F>::size();
  constexpr std::size_t m = F::shape::size;

  for (int point = 0; point < opt.points; ++point) {
    CAPTURE(point);
    inputs_of<F> X;
    for (double& x : X) x = in(rng);

    // Value against the reference.
    assertions::value(eval(f, X), reference(X), m);

    // Jacobian by central differences, column by column.
    std::vector<double> J(m * n);
    for (std::size_t j = 0; j < n; ++j) {
      inputs_of<F> Xp = X, Xm = X;
      const double h = 1e-5 * std::max(1.0, std::abs(X.data()[j]));
      Xp.data()[j] += h;
      Xm.data()[j] -= h;
      const auto up = eval(f, Xp), down = eval(f, Xm);
      for (std::size_t i = 0; i < m; ++i) J[i * n + j] = (up[i] - down[i]) / (2 * h);
    }

    // JVP along each basis vector and a random direction; VJP of a random
    // cotangent, and the adjoint identity with this u.
    for (std::size_t j = 0; j <= n; ++j) {
      inputs_of<F> U;
      for (std::size_t k = 0; k < n; ++k) U.data()[k] = j < n ? double(k == j) : dir(rng);
      const std::vector<double> t = jvp(f, X, U);
      std::vector<double> v(m);
      for (double& c : v) c = dir(rng);
      const inputs_of<F> g = vjp(f, X, v);
      assertions::jvp_vjp(J, m, n, j, U.data(), t, v, g.data(), opt);
    }

    // The whole Jacobian, column by column and row by row.
    const auto by_columns = jacobian<tapeless::sweep_mode::forward>(f, X);
    const auto by_rows = jacobian<tapeless::sweep_mode::reverse>(f, X);
    static_assert(decltype(by_columns)::sweeps == n && decltype(by_rows)::sweeps == m);
    std::vector<double> columns(m * n), rows(m * n);
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        columns[i * n + j] = by_columns.matrix(i, j);
        rows[i * n + j] = by_rows.matrix(i, j);
      }
    assertions::jacobians(J, columns, rows, m, n, opt);

    // Second order through the adjoint rules: the Hessian of Σ c ⊙ f
    // against central differences of its gradient Jᵀ c.
    std::vector<double> c(m);
    for (double& ci : c) ci = dir(rng);
    const auto H = contracted_hessian(f, X, c);
    std::vector<double> Hn(n * n), fd(n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) Hn[i * n + j] = H.matrix(i, j);
    for (std::size_t j = 0; j < n; ++j) {
      inputs_of<F> Xp = X, Xm = X;
      const double h = 1e-5 * std::max(1.0, std::abs(X.data()[j]));
      Xp.data()[j] += h;
      Xm.data()[j] -= h;
      const inputs_of<F> up = vjp(f, Xp, c), down = vjp(f, Xm, c);
      for (std::size_t i = 0; i < n; ++i) fd[i] = (up.data()[i] - down.data()[i]) / (2 * h);
      assertions::hessian_column(Hn, n, j, fd, opt);
    }
  }
}

// Reference for an elementwise unary op: fn applied to each element of "a".
template <class F>
auto unary_reference(std::function<double(double)> fn) {
  return [fn](const inputs_of<F>& X) {
    std::vector<double> out;
    for (double x : X) out.push_back(fn(x));
    return out;
  };
}

}  // namespace laws
