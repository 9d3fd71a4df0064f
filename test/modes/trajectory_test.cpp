// Adjoints through time: the gradient of a rolled-out cost against a
// hand-derived adjoint recursion and against finite differences;
// checkpointed and stored modes; sizes checked before anything is written.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <tapeless/eval/trajectory.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"
#include <vector>

using namespace tapeless;

namespace {
using fixtures::mixed_error;
using fixtures::random_vector;

// The double integrator: position and velocity, a force as control.
//   s_{t+1} = A s_t + B u_t,  ℓ = ½ (q |s|² + r u²),  φ = ½ w |s_T|²
constexpr double dt = 0.1, q = 1.0, r = 0.1, w = 10.0;
constexpr auto s = input<"s", vec<2>>;
constexpr auto u = input<"u", vec<1>>;
constexpr auto integrator = trajectory(param<"A", mat<2, 2>> * s + param<"B", mat<2, 1>> * u,
                                       0.5_c * (dot(s, s) + 0.1_c * dot(u, u)), 5_c * dot(s, s));
using integrator_params = decltype(integrator)::params_type<double>;

integrator_params integrator_matrices() {
  integrator_params P;
  P.get<"A">() = {{1, dt}, {0, 1}};
  P.get<"B">() = {{dt * dt / 2}, {dt}};
  return P;
}

// The adjoint recursion derived by hand for this system, written without
// the library:
//   λ_T = w s_T,   λ_t = q s_t + Aᵀ λ_{t+1},   ∂J/∂u_t = r u_t + Bᵀ λ_{t+1},
//   ∂J/∂A = Σ_t λ_{t+1} s_tᵀ,   ∂J/∂B = Σ_t λ_{t+1} u_t,   ∂J/∂s_0 = λ_0.
struct hand_adjoint {
  double cost = 0;
  std::vector<double> d_controls;
  std::array<double, 2> d_s0{};
  std::array<double, 4> dA{};
  std::array<double, 2> dB{};
};
hand_adjoint by_hand(const std::array<double, 2>& s0, const std::vector<double>& controls) {
  const double A[2][2] = {{1, dt}, {0, 1}}, B[2] = {dt * dt / 2, dt};
  const std::size_t T = controls.size();
  std::vector<std::array<double, 2>> states(T + 1);
  states[0] = s0;
  hand_adjoint out;
  for (std::size_t t = 0; t < T; ++t) {
    const auto& x = states[t];
    out.cost += 0.5 * (q * (x[0] * x[0] + x[1] * x[1]) + r * controls[t] * controls[t]);
    for (int i = 0; i < 2; ++i) states[t + 1][i] = A[i][0] * x[0] + A[i][1] * x[1] + B[i] * controls[t];
  }
  const auto& last = states[T];
  out.cost += 0.5 * w * (last[0] * last[0] + last[1] * last[1]);
  std::array<double, 2> lambda{w * last[0], w * last[1]};
  out.d_controls.resize(T);
  for (std::size_t t = T; t-- > 0;) {
    const auto& x = states[t];
    out.d_controls[t] = r * controls[t] + B[0] * lambda[0] + B[1] * lambda[1];
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) out.dA[i * 2 + j] += lambda[i] * x[j];
      out.dB[i] += lambda[i] * controls[t];
    }
    lambda = {q * x[0] + A[0][0] * lambda[0] + A[1][0] * lambda[1],
              q * x[1] + A[0][1] * lambda[0] + A[1][1] * lambda[1]};
  }
  out.d_s0 = lambda;
  return out;
}


// A nonlinear system with parameters everywhere: a small neural ODE step.
constexpr auto z = input<"s", vec<3>>;
constexpr auto v = input<"u", vec<2>>;
constexpr auto neural =
    trajectory(z + 0.2_c * tanh(param<"W", mat<3, 3>> * z + param<"V", mat<3, 2>> * v + param<"b", vec<3>>),
               0.5_c * sum(square(z - param<"target", vec<3>>)) + 0.05_c * dot(v, v) + softplus(param<"c"> * sum(z)),
               sum(square(z)) * param<"terminal">);
using neural_params = decltype(neural)::params_type<double>;
}  // namespace

TEST_CASE("double integrator: the gradient is the hand-derived adjoint recursion") {
  const auto P = integrator_matrices();
  const std::array<double, 2> s0{1.0, -0.5};
  for (std::size_t T : {1u, 2u, 17u, 60u}) {
    CAPTURE(T);
    const auto controls = random_vector(T, unsigned(T));
    std::vector<double> buffer(integrator.buffer_size(T)), d_controls(T);
    std::array<double, 2> d_s0{};
    integrator_params dP;
    const auto result = integrator.cost_and_gradient(P, s0, controls, buffer,
                                                     {.params = &dP, .controls = d_controls, .initial_state = d_s0});
    const hand_adjoint expected = by_hand(s0, controls);
    CHECK(result.steps == T);
    CHECK(result.step_evaluations == T);
    CHECK(mixed_error(result.cost, expected.cost) <= 1e-14);
    CHECK(mixed_error(integrator.cost(P, s0, controls), expected.cost) <= 1e-14);
    for (std::size_t t = 0; t < T; ++t) CHECK(mixed_error(d_controls[t], expected.d_controls[t]) <= 1e-13);
    for (std::size_t i = 0; i < 2; ++i) CHECK(mixed_error(d_s0[i], expected.d_s0[i]) <= 1e-13);
    for (std::size_t k = 0; k < 4; ++k) CHECK(mixed_error(dP.get<"A">()[k], expected.dA[k]) <= 1e-13);
    for (std::size_t k = 0; k < 2; ++k) CHECK(mixed_error(dP.get<"B">()[k], expected.dB[k]) <= 1e-13);
  }
}

TEST_CASE("double integrator: gradient descent on the controls lowers the cost") {
  const auto P = integrator_matrices();
  const std::array<double, 2> s0{1.0, 0.0};
  const std::size_t T = 50;
  std::vector<double> controls(T, 0.0), d_controls(T), buffer(integrator.buffer_size(T));
  integrator_params dP;
  double previous = integrator.cost(P, s0, controls);
  const double initial = previous;
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double J =
        integrator.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = d_controls}).cost;
    CHECK(J <= previous);
    previous = J;
    for (std::size_t t = 0; t < T; ++t) controls[t] -= 0.004 * d_controls[t];
  }
  CHECK(integrator.cost(P, s0, controls) < 0.5 * initial);
}

TEST_CASE("a nonlinear system: every gradient against central differences") {
  neural_params P;
  const auto p = random_vector(P.size(), 1, 0.6);
  std::copy(p.begin(), p.end(), P.begin());
  const std::size_t T = 13;
  const auto controls = random_vector(2 * T, 2);
  const auto s0v = random_vector(3, 3);
  const std::array<double, 3> s0{s0v[0], s0v[1], s0v[2]};

  std::vector<double> buffer(neural.buffer_size(T)), d_controls(2 * T);
  std::array<double, 3> d_s0{};
  neural_params dP;
  const auto result =
      neural.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = d_controls, .initial_state = d_s0});
  CHECK(mixed_error(result.cost, neural.cost(P, s0, controls)) <= 1e-15);

  const double h = 1e-6;
  for (std::size_t k = 0; k < controls.size(); ++k) {
    auto up = controls, down = controls;
    up[k] += h;
    down[k] -= h;
    CAPTURE(k);
    CHECK(mixed_error(d_controls[k], (neural.cost(P, s0, up) - neural.cost(P, s0, down)) / (2 * h)) <= 1e-7);
  }
  for (std::size_t k = 0; k < P.size(); ++k) {
    auto up = P, down = P;
    up.data()[k] += h;
    down.data()[k] -= h;
    CAPTURE(k);
    CHECK(mixed_error(dP.data()[k], (neural.cost(up, s0, controls) - neural.cost(down, s0, controls)) / (2 * h)) <=
          1e-7);
  }
  for (std::size_t k = 0; k < 3; ++k) {
    auto up = s0, down = s0;
    up[k] += h;
    down[k] -= h;
    CAPTURE(k);
    CHECK(mixed_error(d_s0[k], (neural.cost(P, up, controls) - neural.cost(P, down, controls)) / (2 * h)) <= 1e-7);
  }
}

TEST_CASE("checkpointing: the same gradient bit for bit, in O(T/k + k) memory") {
  neural_params P;
  const auto p = random_vector(P.size(), 4, 0.6);
  std::copy(p.begin(), p.end(), P.begin());
  const std::size_t T = 37;
  const auto controls = random_vector(2 * T, 5);
  const std::array<double, 3> s0{0.3, -0.2, 0.9};

  std::vector<double> stored_buffer(neural.buffer_size(T)), stored_d(2 * T);
  std::array<double, 3> stored_ds0{};
  neural_params stored_dP;
  const auto stored = neural.cost_and_gradient(
      P, s0, controls, stored_buffer, {.params = &stored_dP, .controls = stored_d, .initial_state = stored_ds0});
  CHECK(stored_buffer.size() == T * decltype(neural)::numbers_per_step);

  for (std::size_t k : {1u, 2u, 3u, 6u, 7u, 36u, 37u, 100u}) {
    CAPTURE(k);
    const std::size_t stretches = (T + std::min<std::size_t>(k, T) - 1) / std::min<std::size_t>(k, T);
    std::vector<double> buffer(neural.buffer_size(T, checkpoints{k})), d(2 * T);
    CHECK(buffer.size() == (stretches - 1) * 3 + std::min<std::size_t>(k, T) * decltype(neural)::numbers_per_step);
    std::array<double, 3> ds0{};
    neural_params dP;
    const auto result = neural.cost_and_gradient(P, s0, controls, buffer,
                                                 {.params = &dP, .controls = d, .initial_state = ds0}, checkpoints{k});
    CHECK(result.cost == stored.cost);
    CHECK(d == stored_d);
    CHECK(ds0 == stored_ds0);
    CHECK(std::equal(dP.begin(), dP.end(), stored_dP.begin()));
    // Every stretch but the last is evaluated twice.
    const std::size_t last = T - (stretches - 1) * std::min<std::size_t>(k, T);
    CHECK(result.step_evaluations == 2 * T - last);
  }
  // k ≈ √T: far less memory than storing every step.
  CHECK(neural.buffer_size(T, checkpoints{6}) * 4 < neural.buffer_size(T));
}

TEST_CASE("zero steps: the cost is the final cost of the initial state") {
  neural_params P;
  const auto p = random_vector(P.size(), 6, 0.6);
  std::copy(p.begin(), p.end(), P.begin());
  const std::array<double, 3> s0{0.5, -1.0, 2.0};
  std::vector<double> none;
  std::array<double, 3> d_s0{};
  neural_params dP;
  const auto result =
      neural.cost_and_gradient(P, s0, none, none, {.params = &dP, .controls = none, .initial_state = d_s0});
  const double terminal = P.get<"terminal">();
  CHECK(result.cost == doctest::Approx(terminal * (0.25 + 1 + 4)).epsilon(1e-15));
  for (std::size_t i = 0; i < 3; ++i) CHECK(d_s0[i] == doctest::Approx(2 * terminal * s0[i]).epsilon(1e-15));
  CHECK(dP.get<"terminal">() == doctest::Approx(5.25).epsilon(1e-15));
}

TEST_CASE("wrong sizes throw before anything is written") {
  const auto P = integrator_matrices();
  const std::array<double, 2> s0{1, 0};
  const std::size_t T = 10;
  std::vector<double> controls(T, 0.1), d_controls(T, 42.0), buffer(integrator.buffer_size(T), 7.0);
  integrator_params dP;
  dP.fill(42.0);
  auto untouched = [&] {
    return std::all_of(d_controls.begin(), d_controls.end(), [](double x) { return x == 42.0; }) &&
           std::all_of(dP.begin(), dP.end(), [](double x) { return x == 42.0; }) &&
           std::all_of(buffer.begin(), buffer.end(), [](double x) { return x == 7.0; });
  };
  const std::array<double, 3> wrong_state{1, 0, 0};
  CHECK_THROWS_AS(
      integrator.cost_and_gradient(P, wrong_state, controls, buffer, {.params = &dP, .controls = d_controls}),
      shape_error);
  std::vector<double> short_buffer(integrator.buffer_size(T) - 1, 7.0);
  CHECK_THROWS_WITH_AS(
      integrator.cost_and_gradient(P, s0, controls, short_buffer, {.params = &dP, .controls = d_controls}),
      doctest::Contains("buffer_size"), shape_error);
  std::vector<double> wrong_gradient(T + 1, 42.0);
  CHECK_THROWS_AS(integrator.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = wrong_gradient}),
                  shape_error);
  std::vector<double> checkpointed(integrator.buffer_size(T, checkpoints{3}) - 1, 7.0);
  CHECK_THROWS_WITH_AS(integrator.cost_and_gradient(P, s0, controls, checkpointed,
                                                    {.params = &dP, .controls = d_controls}, checkpoints{3}),
                       doctest::Contains("checkpoints{3}"), shape_error);
  CHECK(untouched());
}

TEST_CASE("outputs are optional: the rollout states, and no parameter gradient when not asked for") {
  const auto P = integrator_matrices();
  const std::array<double, 2> s0{1.0, -0.5};
  const std::size_t T = 9;
  const auto controls = random_vector(T, 11);
  std::vector<double> buffer(integrator.buffer_size(T)), all_d(T), only_d(T), states((T + 1) * 2),
      cost_states((T + 1) * 2);
  integrator_params dP;
  const auto all = integrator.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = all_d});
  const auto only = integrator.cost_and_gradient(P, s0, controls, buffer, {.controls = only_d, .states = states});
  CHECK(only.cost == all.cost);
  CHECK(only_d == all_d);  // the same recursion, without the parameter adjoints

  // s_{t+1} = A s_t + B u_t, written out.
  std::array<double, 2> x = s0;
  for (std::size_t t = 0; t <= T; ++t) {
    CHECK(states[2 * t] == doctest::Approx(x[0]).epsilon(1e-15));
    CHECK(states[2 * t + 1] == doctest::Approx(x[1]).epsilon(1e-15));
    if (t < T) x = {x[0] + dt * x[1] + dt * dt / 2 * controls[t], x[1] + dt * controls[t]};
  }
  CHECK(integrator.cost(P, s0, controls, cost_states) == all.cost);
  CHECK(cost_states == states);

  std::vector<double> wrong_states(2 * T, 0.0);
  CHECK_THROWS_WITH_AS(integrator.cost(P, s0, controls, wrong_states), doctest::Contains("the states output"),
                       shape_error);
}
