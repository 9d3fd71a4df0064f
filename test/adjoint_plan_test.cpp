// The planned adjoint layout (eval/adjoint_plan.hpp) against the plain one.
//
// value_and_grad keeps adjoints in a compact layout: memory is handed out
// when a node's first contribution arrives and reused once the node is
// propagated, and an argument whose only use is an identity VJP (ā += ȳ)
// takes over its user's memory instead of receiving a copy. The plain
// layout (one slot per node, every slot zeroed first) is what the
// sweeps run when an observer watches them. Both must give the same
// gradients on every pattern of sharing: single-use operands of one add
// (which once made the plan hand out memory a second taker still read),
// nested sums, chains through sub, a node used twice by one op, shared
// parameters, scalar broadcasts, residual blocks. Each pattern is also
// checked against central differences.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

constexpr auto u = input<"u", vec<3>>;
constexpr auto v = input<"v", vec<3>>;
constexpr auto W = param<"W", mat<3, 3>>;
constexpr auto b = param<"b", vec<3>>;
constexpr auto c = param<"c">;

// Makes run_reverse take the plain layout (any observer but no_observer
// does).
struct plain_layout : detail::no_observer {};

const std::array<double, 3> u0{0.5, -1.0, 2.0};
const std::array<double, 3> v0{1.5, 0.25, -0.5};

// f's value with input Which (0: u, 1: v) moved by `step` in element i.
template <class F>
double value_at(F f, const params<F>& P, std::size_t which, std::size_t i, double step) {
  std::array<std::array<double, 3>, 2> point{u0, v0};
  point[which][i] += step;
  return value(f, P, bind<"u">(point[0]), bind<"v">(point[1]));
}

bool close(double a, double e) { return std::abs(a - e) <= 1e-13 * std::max(1.0, std::abs(e)); }
constexpr double h = 1e-6;

// Input Name (number Which), if f reads it: planned and plain gradients
// agree, and match central differences.
template <fixed_string Name, std::size_t Which, class F, class Planned, class Plain>
void check_input(F f, const params<F>& P, const Planned& planned, const Plain& plain) {
  if constexpr (detail::list_contains<input_t<name_of<Name>, vec<3>>, typename graph<F>::inputs>) {
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(close(planned.input_grad.template get<Name>()[i], plain.template get<Name>()[i]));
      const double fd = (value_at(f, P, Which, i, h) - value_at(f, P, Which, i, -h)) / (2 * h);
      CHECK(planned.input_grad.template get<Name>()[i] == doctest::Approx(fd).epsilon(1e-6));
    }
  }
}

// Planned and plain gradients agree to rounding; both match central
// differences in every parameter and input element.
template <class F>
void check_layouts_agree(F f) {
  params<F> P;
  std::size_t k = 0;
  for (double& p : P) p = 0.4 * std::sin(0.9 * double(++k));

  const auto planned = value_and_grad(f, P, wrt_inputs, bind<"u">(u0), bind<"v">(v0));

  params<F> G;
  input_values<F, double> input_grad;
  const double plain_value = detail::run_reverse<F, double, detail::reverse_mode<true, true, false>>(
      P, G.data(), &input_grad, detail::unit_seed<double>{}, plain_layout{}, bind<"u">(u0), bind<"v">(v0));

  CHECK(planned.value == plain_value);
  for (std::size_t i = 0; i < P.size(); ++i) {
    CAPTURE(i);
    CHECK(close(planned.grad.data()[i], G.data()[i]));
    params<F> up = P, down = P;
    up.data()[i] += h;
    down.data()[i] -= h;
    const double fd = (value_at(f, up, 0, 0, 0.0) - value_at(f, down, 0, 0, 0.0)) / (2 * h);
    CHECK(planned.grad.data()[i] == doctest::Approx(fd).epsilon(1e-6));
  }
  check_input<"u", 0>(f, P, planned, input_grad);
  check_input<"v", 1>(f, P, planned, input_grad);
}

}  // namespace

TEST_CASE("planned adjoints: both operands of an add used once") {
  check_layouts_agree(sum(exp(u) + square(v)) + c);
  check_layouts_agree(sum(u * v + exp(u) + exp(u) * (u * v) + u) + c);
}

TEST_CASE("planned adjoints: nested sums of single-use terms") {
  check_layouts_agree(sum((exp(u) + tanh(v)) + (square(u) + sigmoid(v))) + c);
  check_layouts_agree(sum(((exp(u) + v) + (u * v)) + ((square(v) + u) + tanh(u))) + c);
}

TEST_CASE("planned adjoints: sub (identity on the left, negation on the right)") {
  check_layouts_agree(sum((u - v) + (v - u * u)) + c);
  check_layouts_agree(sum(exp(u - v) - (tanh(v) - square(u))) + c);
}

TEST_CASE("planned adjoints: a node used twice by one op, and fan-out") {
  check_layouts_agree(sum(exp(u) + exp(u)) + c * sum(v));
  check_layouts_agree(dot(u + v, u - v) + sum(u + v) + c);
}

TEST_CASE("planned adjoints: shared parameters, scalar broadcasts, residual blocks") {
  check_layouts_agree(sum(tanh(W * u + b) + tanh(W * v + b)));
  check_layouts_agree(sum(square(W * u + b - v)) + c * sum(u));
  check_layouts_agree(sum(exp(u) * c + (v + c)));
  constexpr auto h1 = u + tanh(W * u + b);
  constexpr auto h2 = h1 + tanh(W * h1 + b);
  check_layouts_agree(0.5_c * sum(square(h2 - v)) + c);
}
