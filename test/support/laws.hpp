#pragma once
// The law checker every op test uses.
//
// For an expression f over named inputs, at seeded random points x:
//
// In double, over f's inputs:
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
//
// In double, over parameters: f with every input leaf made a parameter
// leaf of the same name and shape (with_params), so that its numbers come
// from the parameter buffer: the value, the JVP from parameter tangents,
// the VJP into the parameter gradient buffer and the adjoint identity,
// against the same reference and J.
//
// In float, over inputs: the value, the JVP, the VJP and the adjoint
// identity in float against the double reference and J, to
// options::float_tolerance (mixed error). Points, directions and
// cotangents are drawn as floats, so both precisions see the same numbers
// and what differs is the float path's own rounding: a few ulps per op
// times the op's condition (measured: below 3e-7 for the elementwise,
// product and slicing ops' tests, up to 2e-6 for the convolutions' sums
// of 50 to 100 products), far above J's own error (central differences in
// double, about 1e-9). Central
// differences in float would not do: their error (at best about 1e-5) is
// as large as what they would check.
//
// On SIMD lanes, through the batch engine (which takes a scalar loss and
// differentiates with respect to parameters), in float: the loss Σ c ⊙ g,
// c bound per sample, where g adds f over two forms of its leaves: every
// leaf a parameter plus a per-sample input (the op sees another number on
// every lane; its VJP reaches the parameter through `+`), and alternate
// leaves bare parameters (one plain number on every lane, its adjoint
// summed across lanes; a parameter matrix times per-sample vectors takes
// the register-blocked products). The batch loss and gradient, at every
// tail size, equal the scalar path's in double summed over the same
// samples (support/batch_check.hpp). Float only: the rules and the engine
// are the same code for double lanes, which batch_test and
// batch_elementary_test run through every elementwise op.
//
// Float over parameters is not a form of its own: the batch forms are
// float parameters.
//
// Class labels (inputs declared class_index<C>) are drawn as random
// classes, never perturbed, and stay inputs in every form: their column of
// J is 0 (a label has no derivative).
//
// Groups: test/meson.build compiles each op law test twice, with
// LAWS_GROUP=scalar (everything but the batch engine) and LAWS_GROUP=batch
// (with the SIMD flags), so that the two compile in parallel. A file
// compiled without LAWS_GROUP checks both.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#include "batch_check.hpp"
#include "fixtures.hpp"

namespace laws {

using tapeless::detail::type_list;

// ---- groups ----------------------------------------------------------------

enum class group { scalar, batch };

#ifdef LAWS_GROUP
constexpr bool checks(group g) { return g == group::LAWS_GROUP; }
#else
constexpr bool checks(group) { return true; }
#endif

// ---- the same expression over other leaves -----------------------------------

template <class Leaf>
struct is_label : std::false_type {};
template <class Name, std::size_t C>
struct is_label<tapeless::input_t<Name, tapeless::class_index<C>>> : std::true_type {};

// The leaves the laws differentiate: every input but class labels.
template <class Leaf>
constexpr bool differentiated = tapeless::input_leaf<Leaf> && !is_label<Leaf>::value;

template <class Leaf>
using as_param = tapeless::param_t<typename Leaf::name, typename Leaf::shape>;

namespace detail {
template <class Nodes, std::size_t K, class Replace>
constexpr auto rebuilt(Replace replace);

template <class Nodes, class Replace, class Op, class S, std::size_t... I>
constexpr auto rebuilt_op(tapeless::op_node<Op, S, I...>*, Replace replace) {
  return typename tapeless::detail::apply_op<Op, S, decltype(rebuilt<Nodes, I>(replace))...>::type{};
}

template <class Nodes, std::size_t K, class Replace>
constexpr auto rebuilt(Replace replace) {
  using N = tapeless::detail::type_at<K, Nodes>;
  if constexpr (tapeless::op_node_type<N>)
    return rebuilt_op<Nodes>(static_cast<N*>(nullptr), replace);
  else if constexpr (differentiated<N>)
    return replace(tapeless::expr<N>{});
  else
    return tapeless::expr<N>{};
}
}  // namespace detail

// f with every differentiated leaf x replaced by the expression replace(x):
// the same ops on the new leaves (shared nodes stay shared).
template <class F, class Replace>
constexpr auto rebuild(F, Replace replace) {
  return detail::rebuilt<typename F::nodes, F::size - 1>(replace);
}

// f with its inputs made parameters of the same names and shapes.
template <class F>
constexpr auto with_params(F f) {
  return rebuild(f, []<class L>(tapeless::expr<L>) { return tapeless::expr<as_param<L>>{}; });
}

// Which leaves of a batch form are bare parameters; the others are a
// parameter plus a per-sample input.
enum class bare { none, all, even, odd };

template <bare Which>
constexpr bool is_bare(std::size_t k) {
  return Which == bare::all || (Which == bare::even && k % 2 == 0) || (Which == bare::odd && k % 2 == 1);
}

// The per-sample input beside parameter "a": "a.sample" (one name may not
// be both).
template <class Leaf>
using per_sample = tapeless::input_t<tapeless::name_concat<typename Leaf::name, tapeless::name_of<".sample">>,
                                     typename Leaf::shape>;

template <bare Which, class F>
constexpr auto on_lanes(F f) {
  return rebuild(f, []<class L>(tapeless::expr<L>) {
    if constexpr (is_bare<Which>(tapeless::detail::index_of<L, typename tapeless::graph<F>::inputs>::value))
      return tapeless::expr<as_param<L>>{};
    else
      return tapeless::expr<as_param<L>>{} + tapeless::expr<per_sample<L>>{};
  });
}

// The cotangent input of the contraction g = Σ c ⊙ f.
template <class F>
constexpr auto contraction(F f) {
  return tapeless::sum(tapeless::hadamard(f, tapeless::input<"laws.c", typename F::shape>));
}

// The batch engine's loss for f (see the top of this file). With one
// differentiated leaf the mixes are the two forms already there.
template <class F>
constexpr auto batch_loss(F f) {
  constexpr std::size_t labels = tapeless::detail::filter_t<typename tapeless::graph<F>::inputs, is_label>::size;
  (void)labels;
  return contraction(on_lanes<bare::none>(f) + on_lanes<bare::even>(f));
}

// ---- numbers of one form ---------------------------------------------------

template <class F>
using inputs_of = tapeless::input_values<F, double>;

template <class V>
std::vector<double> flat(const V& v) {
  if constexpr (std::is_arithmetic_v<V>)
    return {double(v)};
  else
    return std::vector<double>(v.begin(), v.end());
}

template <class E, class I, class Buffer>
auto bound(const Buffer& X) {
  return tapeless::binding<typename I::name, tapeless::tensor_view<const E, typename I::shape>>{X.template view<I>()};
}

template <class E, class I, class Buffer>
auto tangent_bound(const Buffer& U) {
  return tapeless::tangent_binding<typename I::name, tapeless::tensor_view<const E, typename I::shape>>{
      U.template view<I>()};
}

template <class E, class From, class To>
void copy(const From& from, const To& to) {
  for (std::size_t k = 0; k < from.size(); ++k) to[k] = E(from[k]);
}

template <class E, class F>
tapeless::input_values<F, E> converted(const inputs_of<F>& X) {
  tapeless::input_values<F, E> out;
  copy<E>(X.span(), out.span());
  return out;
}

// f evaluated with every input bound to its region of X.
template <class F>
std::vector<double> eval(F f, const inputs_of<F>& X) {
  return [&]<class... I>(type_list<I...>) {
    return flat(tapeless::value(f, bound<double, I>(X)...));
  }(typename tapeless::graph<F>::inputs{});
}

// The first-order numbers of one form at a point: f's value, its JVP along
// u and its VJP of v, in double, the VJP laid out as f's inputs.
struct first_order {
  std::vector<double> value, tangent, gradient;
};

// f over its inputs, in E.
template <class E, class F>
first_order through_inputs(F f, const inputs_of<F>& X, const inputs_of<F>& U, const std::vector<double>& v) {
  const auto XE = converted<E, F>(X), UE = converted<E, F>(U);
  const std::vector<E> vE(v.begin(), v.end());
  const tapeless::params<F, E> none;
  return [&]<class... I>(type_list<I...>) {
    const auto forward = tapeless::jvp(f, none, bound<E, I>(XE)..., tangent_bound<E, I>(UE)...);
    const auto reverse = tapeless::vjp(f, none, vE, bound<E, I>(XE)...);
    return first_order{flat(forward.value), flat(forward.tangent), flat(reverse.input_grad)};
  }(typename tapeless::graph<F>::inputs{});
}

// with_params(f), its parameters holding X's numbers and their tangents U's, in
// E; class labels stay inputs.
template <class E, class F>
first_order through_params(F f, const inputs_of<F>& X, const inputs_of<F>& U, const std::vector<double>& v) {
  constexpr auto fp = with_params(f);
  using FP = decltype(fp);
  tapeless::params<FP, E> P, dP;
  tapeless::input_values<FP, E> labels;
  tapeless::detail::for_each_type(typename tapeless::graph<F>::inputs{}, [&]<class I>() {
    if constexpr (is_label<I>::value) {
      copy<E>(X.template view<I>(), labels.template view<I>());
    } else {
      copy<E>(X.template view<I>(), P.template view<as_param<I>>());
      copy<E>(U.template view<I>(), dP.template view<as_param<I>>());
    }
  });
  const std::vector<E> vE(v.begin(), v.end());
  return [&]<class... L>(type_list<L...>) {
    const auto forward = tapeless::jvp(fp, P, dP, bound<E, L>(labels)...);
    const auto reverse = tapeless::vjp(fp, P, vE, bound<E, L>(labels)...);
    inputs_of<F> gradient;  // zero for labels
    tapeless::detail::for_each_type(typename tapeless::graph<F>::inputs{}, [&]<class I>() {
      if constexpr (!is_label<I>::value) copy<double>(reverse.grad.template view<as_param<I>>(), gradient.template view<I>());
    });
    return first_order{flat(forward.value), flat(forward.tangent), flat(gradient)};
  }(typename tapeless::graph<FP>::inputs{});
}

// The Jacobian of f with respect to all its inputs, in the given mode.
template <tapeless::sweep_mode Mode, class F>
auto jacobian(F f, const inputs_of<F>& X) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::jacobian<Mode>(f, tapeless::wrt_t<typename I::name...>{}, bound<double, I>(X)...);
  }(typename tapeless::graph<F>::inputs{});
}

// The Hessian of Σ c ⊙ f with respect to f's inputs.
template <class F>
auto contracted_hessian(F f, const inputs_of<F>& X, const std::vector<double>& c) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::hessian(contraction(f), tapeless::wrt_t<typename I::name...>{}, bound<double, I>(X)...,
                             tapeless::bind<"laws.c">(c));
  }(typename tapeless::graph<F>::inputs{});
}

template <class F>
inputs_of<F> vjp(F f, const inputs_of<F>& X, const std::vector<double>& v) {
  return [&]<class... I>(type_list<I...>) {
    return tapeless::vjp(f, v, bound<double, I>(X)...).input_grad;
  }(typename tapeless::graph<F>::inputs{});
}

// Which numbers of f's inputs are class labels.
template <class F>
std::vector<bool> label_positions() {
  std::vector<bool> out;
  tapeless::detail::for_each_type(typename tapeless::graph<F>::inputs{},
                                  [&]<class I>() { out.insert(out.end(), I::shape::size, is_label<I>::value); });
  return out;
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
  int points = 3;                 // random points tried
  double float_tolerance = 1e-5;  // the float forms vs the double reference
};

// The tolerances of one form: value vs the reference, JVP and VJP vs J,
// and the adjoint identity.
struct tolerances {
  double value, derivative, identity;
};

// The assertions of check() below, on plain numbers: not templates, so each
// test file compiles them (and doctest's expansion of every CHECK) once,
// not once per expression checked. J is m x n, row-major.
namespace assertions {

inline void value(const std::vector<double>& y, const std::vector<double>& expected, std::size_t m,
                  double tolerance) {
  REQUIRE(y.size() == m);
  REQUIRE(expected.size() == m);
  for (std::size_t i = 0; i < m; ++i) {
    CAPTURE(i);
    CHECK(mixed_error(y[i], expected[i]) <= tolerance);
  }
}

// The JVP t along direction U (basis vector j, or random when j == n), the
// VJP g of the cotangent v, and the adjoint identity between them.
inline void jvp_vjp(const std::vector<double>& J, std::size_t m, std::size_t n, std::size_t j, const double* U,
                    const std::vector<double>& t, const std::vector<double>& v, const double* g,
                    const tolerances& tol) {
  for (std::size_t i = 0; i < m; ++i) {
    double Ju = 0;
    for (std::size_t k = 0; k < n; ++k) Ju += J[i * n + k] * U[k];
    CAPTURE(j);
    CAPTURE(i);
    CHECK(mixed_error(t[i], Ju) <= tol.derivative);
  }
  for (std::size_t k = 0; k < n; ++k) {
    double JTv = 0;
    for (std::size_t i = 0; i < m; ++i) JTv += J[i * n + k] * v[i];
    CAPTURE(k);
    CHECK(mixed_error(g[k], JTv) <= tol.derivative);
  }
  const double lhs = dot(t.data(), v.data(), m);
  const double rhs = dot(U, g, n);
  CHECK(mixed_error(lhs, rhs) <= tol.identity);
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

// A number drawn from d, rounded to float: the float forms then see it
// exactly.
template <class D>
double float_exact(D& d, std::mt19937_64& rng) {
  return double(float(d(rng)));
}

// A random point of f's inputs (class labels: random classes).
template <class F>
inputs_of<F> random_point(std::mt19937_64& rng, const options& opt) {
  std::uniform_real_distribution<double> in(opt.lo, opt.hi);
  inputs_of<F> X;
  tapeless::detail::for_each_type(typename tapeless::graph<F>::inputs{}, [&]<class I>() {
    for (double& x : X.template view<I>()) {
      if constexpr (is_label<I>::value)
        x = double(std::uniform_int_distribution<std::size_t>(0, I::shape::classes - 1)(rng));
      else
        x = float_exact(in, rng);
    }
  });
  return X;
}

// J by central differences, column by column (columns of labels: 0).
template <class F>
std::vector<double> central_differences(F f, const inputs_of<F>& X, const std::vector<bool>& label) {
  constexpr std::size_t n = inputs_of<F>::size();
  constexpr std::size_t m = F::shape::size;
  std::vector<double> J(m * n);
  for (std::size_t j = 0; j < n; ++j) {
    if (label[j]) continue;
    inputs_of<F> Xp = X, Xm = X;
    const double h = 1e-5 * std::max(1.0, std::abs(X.data()[j]));
    Xp.data()[j] += h;
    Xm.data()[j] -= h;
    const auto up = eval(f, Xp), down = eval(f, Xm);
    for (std::size_t i = 0; i < m; ++i) J[i * n + j] = (up[i] - down[i]) / (2 * h);
  }
  return J;
}

// One form's value, and its JVP along each basis vector (labels excepted)
// and a random direction with the VJP of a random cotangent each time,
// against the reference and J. form(U, v) gives the form's first_order.
template <class F, class Form>
void first_order_laws(const std::vector<double>& J, const std::vector<double>& expected, const std::vector<bool>& label,
                      Form form, const tolerances& tol, std::mt19937_64& rng) {
  constexpr std::size_t n = inputs_of<F>::size();
  constexpr std::size_t m = F::shape::size;
  std::uniform_real_distribution<double> dir(-1.0, 1.0);
  bool first = true;
  for (std::size_t j = 0; j <= n; ++j) {
    if (j < n && label[j]) continue;
    inputs_of<F> U;
    for (std::size_t k = 0; k < n; ++k) U.data()[k] = label[k] ? 0.0 : j < n ? double(k == j) : float_exact(dir, rng);
    std::vector<double> v(m);
    for (double& c : v) c = float_exact(dir, rng);
    const first_order r = form(U, v);
    if (first) assertions::value(r.value, expected, m, tol.value);
    first = false;
    assertions::jvp_vjp(J, m, n, j, U.data(), r.tangent, v, r.gradient.data(), tol);
  }
}

// The batch laws (see the top of this file).
template <class F>
void check_batch(F f, const options& opt) {
  constexpr auto loss = batch_loss(f);
  using L = decltype(loss);
  // Parameters in the middle half of [lo, hi], per-sample inputs within a
  // quarter of the range: their sums stay in [lo, hi].
  const double quarter = (opt.hi - opt.lo) / 4;
  std::mt19937 rng(opt.seed);
  batch_check::check_at_every_tail_size<batch_check::calls::sample_major>(
      loss, batch_check::random_params<L, float>(rng, opt.lo + quarter, opt.hi - quarter), rng, -quarter, quarter);
}

// How much of the laws a check runs: all of them, or those in double over
// inputs alone, for a form of an op (a shape, an index) whose laws in
// float, over parameters and on SIMD lanes another form of the same op
// already runs. Compile time: each of those adds about as much as the
// laws in double.
enum class scope { all, double_inputs };

// The scalar laws at one random point X of f's inputs.
template <scope Scope, class F>
void check_point(F f, const inputs_of<F>& X, const std::vector<double>& expected, const options& opt,
                 std::mt19937_64& rng) {
  constexpr std::size_t n = inputs_of<F>::size();
  constexpr std::size_t m = F::shape::size;
  const std::vector<bool> label = label_positions<F>();
  const std::vector<double> J = central_differences(f, X, label);
  const tolerances in_double{1e-14, opt.fd_tolerance, opt.identity_tolerance};
  {
    INFO("in double, over inputs");
    assertions::value(eval(f, X), expected, m, in_double.value);
    first_order_laws<F>(
        J, expected, label, [&](const auto& U, const auto& v) { return through_inputs<double>(f, X, U, v); },
        in_double, rng);

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
    std::uniform_real_distribution<double> dir(-1.0, 1.0);
    std::vector<double> c(m);
    for (double& ci : c) ci = dir(rng);
    const auto H = contracted_hessian(f, X, c);
    std::vector<double> Hn(n * n), fd(n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) Hn[i * n + j] = H.matrix(i, j);
    for (std::size_t j = 0; j < n; ++j) {
      std::fill(fd.begin(), fd.end(), 0.0);
      if (!label[j]) {
        inputs_of<F> Xp = X, Xm = X;
        const double h = 1e-5 * std::max(1.0, std::abs(X.data()[j]));
        Xp.data()[j] += h;
        Xm.data()[j] -= h;
        const inputs_of<F> up = vjp(f, Xp, c), down = vjp(f, Xm, c);
        for (std::size_t i = 0; i < n; ++i) fd[i] = (up.data()[i] - down.data()[i]) / (2 * h);
      }
      assertions::hessian_column(Hn, n, j, fd, opt);
    }
  }
  if constexpr (Scope == scope::all) {
    {
      INFO("in double, over parameters");
      first_order_laws<F>(
          J, expected, label, [&](const auto& U, const auto& v) { return through_params<double>(f, X, U, v); },
          in_double, rng);
    }
    {
      INFO("in float, over inputs");
      const tolerances in_float{opt.float_tolerance, opt.float_tolerance, opt.float_tolerance};
      first_order_laws<F>(
          J, expected, label, [&](const auto& U, const auto& v) { return through_inputs<float>(f, X, U, v); },
          in_float, rng);
    }
  }
}

struct unchanged {
  template <class X>
  constexpr X operator()(X x) const {
    return x;
  }
};

// Runs the laws of the executable's group for f (within Scope).
// `reference(X)` returns f's value at X, computed without the library. The
// numbers are computed here, per expression; the comparisons are in
// `assertions`.
template <scope Scope = scope::all, class F, class Reference>
void check(F f, Reference reference, options opt = {}) {
  static_assert(std::is_same_v<decltype(rebuild(f, unchanged{})), F>, "rebuild must give f back unchanged");
  if constexpr (checks(group::scalar)) {
    std::mt19937_64 rng(opt.seed);
    for (int point = 0; point < opt.points; ++point) {
      CAPTURE(point);
      const inputs_of<F> X = random_point<F>(rng, opt);
      check_point<Scope>(f, X, reference(X), opt, rng);
    }
  }
  if constexpr (checks(group::batch) && Scope == scope::all) check_batch(f, opt);
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
