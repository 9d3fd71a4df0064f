// Discrete-time optimal control by gradient descent on the controls, with
// the gradient from the library's adjoint recursion (trajectory.hpp).
//
// A double integrator (position, velocity; a force as control), dt = 0.1,
// brought to rest at the origin from s0 = (1, 0) over T steps:
//
//   s_{t+1} = A s_t + B u_t,   A = [1 dt; 0 1],   B = [dt²/2; dt]
//   J = Σ_{t<T} ½ dt (|s_t|² + r u_t²) + ½ w |s_T|²
//
// (the running cost is the Riemann sum of ∫ ½(|x|² + r u²) dt). A, B and the
// weights are parameters set at run time, and T is a run-time count.
//
// The problem is linear-quadratic, so its exact optimum is known from the
// discrete Riccati recursion, written out below without the library: the
// example prints how far gradient descent is from it.
//
//   optimal_control [T [iterations]]        (defaults 100 and 400)
//
// Exits non-zero if an accepted iteration raised the cost, if the final
// cost is not below the initial one, if it is not within 1% of the Riccati
// optimum (longer horizons need more iterations, roughly T²/40), or if the
// checkpointed gradient differs from the stored one in any bit.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <tapeless/eval/trajectory.hpp>
#include <tapeless/tapeless.hpp>
#include <vector>

using namespace tapeless;

namespace {

constexpr double dt = 0.1;
constexpr double r = 0.1;  // control weight
constexpr double w = 1;    // final-state weight
constexpr std::array<double, 2> s0 = {1.0, 0.0};

constexpr auto s = input<"s", vec<2>>;
constexpr auto u = input<"u", vec<1>>;
constexpr auto problem =
    trajectory(param<"A", mat<2, 2>> * s + param<"B", mat<2, 1>> * u,
               0.5_c * param<"dt"> * (dot(s, s) + param<"r"> * dot(u, u)), 0.5_c * param<"w"> * dot(s, s));
using parameters = decltype(problem)::params_type<double>;

parameters double_integrator() {
  parameters P;
  P.get<"A">() = {{1, dt}, {0, 1}};
  P.get<"B">() = {{dt * dt / 2}, {dt}};  // one column: one list per row
  P.get<"dt">() = dt;
  P.get<"r">() = r;
  P.get<"w">() = w;
  return P;
}

using mat2 = std::array<std::array<double, 2>, 2>;

// The exact optimum by the backward Riccati recursion
//   S_T = w I,   K_t = (R + BᵀS_{t+1}B)⁻¹ BᵀS_{t+1}A,
//   S_t = Q + AᵀS_{t+1}(A - B K_t),        Q = dt I,  R = dt r:
// the optimal cost is ½ s0ᵀS_0 s0 and its gradient in s0 is S_0 s0. Reads
// everything from the parameters, so it solves the library's problem.
mat2 riccati_cost_to_go(const parameters& P, std::size_t T) {
  const auto PA = P.get<"A">();
  const auto PB = P.get<"B">();
  const mat2 A = {{{PA(0, 0), PA(0, 1)}, {PA(1, 0), PA(1, 1)}}};
  const std::array<double, 2> B = {PB(0, 0), PB(1, 0)};
  const double Q = P.get<"dt">(), R = P.get<"dt">() * P.get<"r">(), W = P.get<"w">();
  mat2 S = {{{W, 0}, {0, W}}};
  for (std::size_t t = T; t-- > 0;) {
    const std::array<double, 2> SB = {S[0][0] * B[0] + S[0][1] * B[1], S[1][0] * B[0] + S[1][1] * B[1]};
    const double denominator = R + B[0] * SB[0] + B[1] * SB[1];
    const std::array<double, 2> K = {(SB[0] * A[0][0] + SB[1] * A[1][0]) / denominator,
                                     (SB[0] * A[0][1] + SB[1] * A[1][1]) / denominator};
    mat2 next{};
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        next[i][j] = i == j ? Q : 0;
        for (int k = 0; k < 2; ++k)
          for (int l = 0; l < 2; ++l) next[i][j] += A[k][i] * S[k][l] * (A[l][j] - B[l] * K[j]);
      }
    S = next;
  }
  return S;
}

double norm(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum);
}

bool parse_count(const char* text, std::size_t& out) {
  const std::string_view arg = text;
  const auto [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), out);
  return error == std::errc{} && end == arg.data() + arg.size() && out > 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t T = 100, iterations = 400;
  if (argc > 3 || (argc > 1 && !parse_count(argv[1], T)) || (argc > 2 && !parse_count(argv[2], iterations))) {
    std::fprintf(stderr, "usage: optimal_control [T [iterations]]   (positive integers; defaults 100 and 400)\n");
    return 2;
  }
  try {
    const parameters P = double_integrator();
    parameters dP;  // ∂J/∂(A, B, weights), asked for only in the comparison below
    std::vector<double> controls(T, 0.0), previous(T, 0.0), lookahead(T), trial(T), gradient(T);
    std::vector<double> buffer(problem.buffer_size(T));  // every step's node values, sized at run time
    bool ok = true;

    const mat2 S0 = riccati_cost_to_go(P, T);
    const std::array<double, 2> S0s0 = {S0[0][0] * s0[0] + S0[0][1] * s0[1], S0[1][0] * s0[0] + S0[1][1] * s0[1]};
    const double optimum = 0.5 * (s0[0] * S0s0[0] + s0[1] * S0s0[1]);
    std::printf("double integrator, T = %zu steps of dt = %g, s0 = (%g, %g), r = %g, w = %g\n", T, dt, s0[0], s0[1], r,
                w);
    std::printf("optimal cost (Riccati recursion) %.10f\n\n", optimum);

    // Gradient descent with Nesterov momentum. The problem is badly
    // conditioned: a control moves the position through two integrations,
    // while a fast-alternating control barely moves it at all, so plain
    // gradient descent crawls; momentum needs about the square root of its
    // iterations. The step comes from a backtracking line search on the
    // library's cost(), so there is no Lipschitz constant to guess. A
    // momentum step that would raise the cost is rejected and the momentum
    // restarted (O'Donoghue & Candès), so accepted iterations never do.
    const std::size_t report_every = 40;
    double step = 1.0, J = problem.cost(P, s0, controls);
    std::size_t momentum = 0, restarts = 0;
    std::vector<double> history = {J};  // the cost after each accepted iteration
    std::size_t reported = 0;
    auto report = [&](std::size_t it) {
      problem.cost_and_gradient(P, s0, controls, buffer, {.controls = gradient});
      const double gradient_norm = norm(gradient);
      std::printf("%9zu  %14.10f  %12.4e  %12.4e\n", it, J, gradient_norm, (J - optimum) / optimum);
      reported = it;
      return gradient_norm;
    };
    std::printf("%9s  %14s  %12s  %12s\n", "iteration", "cost", "|dJ/du|", "gap");
    const double initial_gradient_norm = report(0);
    std::size_t it = 1;
    for (; it <= iterations; ++it) {
      const double beta = double(momentum) / double(momentum + 3);
      for (std::size_t t = 0; t < T; ++t) lookahead[t] = controls[t] + beta * (controls[t] - previous[t]);
      const double J_lookahead = problem.cost_and_gradient(P, s0, lookahead, buffer, {.controls = gradient}).cost;
      const double g2 = norm(gradient) * norm(gradient);
      // Converged to rounding (short horizons): further steps only shrink.
      if (std::sqrt(g2) <= 1e-6 * initial_gradient_norm) break;
      double J_trial;
      for (;;) {  // Armijo: at least half the decrease the gradient promises
        for (std::size_t t = 0; t < T; ++t) trial[t] = lookahead[t] - step * gradient[t];
        J_trial = problem.cost(P, s0, trial);
        if (J_trial <= J_lookahead - 0.5 * step * g2 || step < 1e-15) break;
        step /= 2;
      }
      if (J_trial <= J) {
        previous.swap(controls);
        controls.swap(trial);
        J = J_trial;
        history.push_back(J);
        ++momentum;
      } else if (momentum > 0) {
        previous = controls;  // the next iteration is a plain gradient step
        momentum = 0;
        ++restarts;
      } else {
        break;  // not even a plain gradient step lowers the cost: converged
      }
      if (it % report_every == 0) report(it);
    }
    if (reported != it - 1) report(it - 1);

    const double initial = history.front(), gap = (J - optimum) / optimum;
    std::printf("\ncost %.10f -> %.10f (%.1fx lower) in %zu accepted iterations (%zu momentum restarts), step %.4g\n",
                initial, J, initial / J, history.size() - 1, restarts, step);
    std::printf("gap to the Riccati optimum %.2e (relative)\n", gap);
    if (std::adjacent_find(history.begin(), history.end(), std::less<>{}) != history.end()) {
      std::printf("FAIL: an accepted iteration raised the cost\n");
      ok = false;
    }
    if (!(J < initial)) {
      std::printf("FAIL: the final cost is not below the initial cost\n");
      ok = false;
    }
    if (!(gap < 0.01)) {
      std::printf("FAIL: not within 1%% of the optimum (more iterations?)\n");
      ok = false;
    }

    // The same gradient with checkpoints every k ≈ √T steps: memory for
    // T/k states and k steps instead of T steps, one more forward
    // evaluation of most steps, the same bits. ∂J/∂s0 comes along: at the
    // optimum it is the Riccati S_0 s0, so the two agree as far as the
    // descent has converged.
    const std::size_t k = std::max<std::size_t>(1, std::size_t(std::lround(std::sqrt(double(T)))));
    std::vector<double> checkpoint_buffer(problem.buffer_size(T, checkpoints{k})), checkpoint_gradient(T);
    parameters checkpoint_dP;
    std::array<double, 2> d_s0{}, checkpoint_d_s0{};
    const auto stored = problem.cost_and_gradient(P, s0, controls, buffer,
                                                  {.params = &dP, .controls = gradient, .initial_state = d_s0});
    const auto checkpointed = problem.cost_and_gradient(
        P, s0, controls, checkpoint_buffer,
        {.params = &checkpoint_dP, .controls = checkpoint_gradient, .initial_state = checkpoint_d_s0}, checkpoints{k});
    const bool identical = std::memcmp(&stored.cost, &checkpointed.cost, sizeof(double)) == 0 &&
                           std::memcmp(gradient.data(), checkpoint_gradient.data(), T * sizeof(double)) == 0 &&
                           std::memcmp(dP.data(), checkpoint_dP.data(), dP.size() * sizeof(double)) == 0 &&
                           std::memcmp(d_s0.data(), checkpoint_d_s0.data(), sizeof d_s0) == 0;
    const std::string checkpointed_label = "checkpoints{" + std::to_string(k) + "}";
    std::printf("\n%-16s  %14s  %16s\n", "gradient", "buffer numbers", "step evaluations");
    std::printf("%-16s  %14zu  %16zu\n", "stored", buffer.size(), stored.step_evaluations);
    std::printf("%-16s  %14zu  %16zu\n", checkpointed_label.c_str(), checkpoint_buffer.size(),
                checkpointed.step_evaluations);
    std::printf("cost, dJ/du, dJ/dθ and dJ/ds0 bit-identical: %s\n", identical ? "yes" : "NO");
    std::printf("dJ/ds0 = (%.6f, %.6f), Riccati S_0 s0 = (%.6f, %.6f)\n", d_s0[0], d_s0[1], S0s0[0], S0s0[1]);
    if (!identical) {
      std::printf("FAIL: the checkpointed gradient differs from the stored one\n");
      ok = false;
    }

    // The trajectory under the controls found, every 10th step, as the
    // library rolled it out.
    std::vector<double> states(2 * (T + 1));
    problem.cost(P, s0, controls, states);
    std::printf("\n%5s  %10s  %10s  %10s\n", "t", "position", "velocity", "force");
    for (std::size_t t = 0; t < T; t += 10)
      std::printf("%5zu  %10.5f  %10.5f  %10.5f\n", t, states[2 * t], states[2 * t + 1], controls[t]);
    std::printf("%5zu  %10.5f  %10.5f\n", T, states[2 * T], states[2 * T + 1]);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
