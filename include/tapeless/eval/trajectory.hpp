#pragma once
// Adjoints through time: gradients of a cost accumulated along a rolled-out
// discrete-time system.
//
//   s_{t+1} = f(s_t, u_t; θ)            t = 0 … T-1, T chosen at run time
//   J       = Σ_t ℓ(s_t, u_t; θ) + φ(s_T; θ)
//
//   constexpr auto s = input<"s", vec<2>>;  constexpr auto u = input<"u", vec<1>>;
//   constexpr auto ocp = trajectory(step, running_cost, final_cost);
//   std::vector<double> buffer(ocp.buffer_size(T));          // the only memory
//   auto r = ocp.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = d_controls});
//
// The gradient is the discrete adjoint recursion (docs/adjoint_method.md):
//
//   λ_T  = ∂φ/∂s_T
//   λ_t  = ∂ℓ/∂s_t + (∂f/∂s_t)ᵀ λ_{t+1}
//   ∂J/∂u_t = ∂ℓ/∂u_t + (∂f/∂u_t)ᵀ λ_{t+1}
//   ∂J/∂θ   = Σ_t [∂ℓ/∂θ + (∂f/∂θ)ᵀ λ_{t+1}] + ∂φ/∂θ,    ∂J/∂s_0 = λ_0
//
// All three right-hand sides are the gradient of one scalar per step, the
// discrete Hamiltonian H_t = ℓ(s_t, u_t) + ⟨λ_{t+1}, f(s_t, u_t)⟩, with
// λ_{t+1} held fixed: one reverse sweep over the graph of H per step gives
// λ_t, ∂J/∂u_t and step t's share of ∂J/∂θ.
//
// Memory. The forward rollout stores, for each step, the node values of H's
// graph (its whole workspace slot array); the reverse pass then walks the steps
// backwards, once. With checkpoints{k}, only every k-th state is kept and
// the node values of one stretch of k steps at a time are recomputed from
// its checkpoint just before the reverse pass needs them: memory for
// ⌈T/k⌉ - 1 states plus k steps, i.e. O(T/k + k). In numbers that is about
// (T/k)·S + k·N for a state of S numbers and N numbers per step
// (numbers_per_step), smallest near k = √(T·S/N). The price is one more
// forward evaluation of every step outside the last stretch. Both modes run the
// same arithmetic on the same numbers, so they give the same bits.
//
// Everything lives in one caller-provided buffer of buffer_size(T, k)
// numbers; the rest is on the stack, sized at compile time. Sizes are
// checked before anything is written.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/scan.hpp>
#include <tapeless/eval/stack_limit.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/ops/add.hpp>
#include <tapeless/ops/dot.hpp>
#include <tapeless/ops/mul.hpp>
#include <type_traits>

namespace tapeless {

// No terminal cost: φ = 0.
struct no_final_cost {};
// No running cost: ℓ = 0 (a sequence model with a loss on its last state).
struct no_running_cost {};

// Keep every k-th state and recompute the steps between them; 0 (or any
// k ≥ T) keeps every step.
struct checkpoints {
  std::size_t every = 0;
};

// Where cost_and_gradient writes. Each output is optional: leave out what
// is not wanted (a parameter gradient not asked for is not computed).
//   {.params = &dP, .controls = d_controls, .initial_state = d_s0, .states = s}
template <class PS>
struct trajectory_gradient {
  using element_type = typename PS::element_type;
  PS* params = nullptr;                        // ∂J/∂θ, overwritten
  std::span<element_type> controls = {};       // ∂J/∂u_t for t = 0 … T-1: T·U numbers
  std::span<element_type> initial_state = {};  // ∂J/∂s_0: S numbers
  std::span<element_type> states = {};         // the rollout s_0 … s_T: (T+1)·S numbers
};

template <class E>
struct trajectory_result {
  E cost;
  std::size_t steps;             // T
  std::size_t step_evaluations;  // forward evaluations of f and ℓ, recomputation included
};

namespace detail {

template <class StepShape, class StateShape>
struct step_must_return_the_state_shape {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};
template <class Input>
struct trajectory_input_is_not_state_or_control {
  static constexpr bool value = false;
};

inline constexpr fixed_string adjoint_input_name = "tapeless.adjoint";

template <class Lambda, class F>
constexpr auto pairing(Lambda lambda, F f) {
  if constexpr (F::shape::rank == 0)
    return lambda * f;
  else
    return dot(lambda, f);
}

inline void check_size(const char* what, std::size_t given, std::size_t wanted) {
  if (given != wanted)
    throw shape_error(std::string("tapeless: trajectory: ") + what + " has " + std::to_string(given) +
                      " numbers, expected " + std::to_string(wanted));
}

}  // namespace detail

namespace detail {

// Writes nothing: a rollout whose graphs read only the state and the control.
struct no_context {
  template <class Graph, class V>
  void operator()(V*) const {}
};

// The machinery of one rolled-out recurrence, on any number type V (a
// scalar, a dual, or a lane pack carrying one rollout per lane): the
// discrete Hamiltonian's graph, one forward step, one adjoint step, the
// final cost, and the rollout with its reverse pass over the scan.
// trajectory_problem runs it on scalars; sequence models (eval/sequence.hpp)
// on lane packs, with context inputs (read by every step, bound once per
// rollout, such as a label) allowed when WithContext.
template <fixed_string StateName, fixed_string ControlName, class Step, class Cost, class Final, bool WithContext>
struct hamiltonian_scan {
  using state_shape = typename Step::shape;
  using state_input = input_t<name_of<StateName>, state_shape>;
  static constexpr bool has_running = !std::is_same_v<Cost, no_running_cost>;
  static constexpr bool has_final = !std::is_same_v<Final, no_final_cost>;

  static constexpr auto adjoint_in = input<adjoint_input_name, state_shape>;
  // The discrete Hamiltonian: its value is ℓ (the adjoint input is zero in
  // the forward rollout) and its gradient, with the adjoint input set to
  // λ_{t+1}, is (λ_t, ∂J/∂u_t, step t's ∂J/∂θ).
  static constexpr auto make_hamiltonian() {
    if constexpr (has_running)
      return Cost{} + pairing(adjoint_in, Step{});
    else
      return pairing(adjoint_in, Step{});
  }
  using hamiltonian = std::remove_const_t<decltype(make_hamiltonian())>;
  using inputs = typename graph<hamiltonian>::inputs;
  using adjoint_input = input_t<name_of<adjoint_input_name>, state_shape>;
  using controls_found = filter_t<inputs, named<name_of<ControlName>>::template is>;
  static_assert(controls_found::size == 1,
                "tapeless: trajectory: neither the step nor the running cost reads the control input (input<\"u\", "
                "U>, or the name given as trajectory<State, Control>)");
  using control_input = type_at<0, concat_t<controls_found, type_list<state_input>>>;
  using control_shape = typename control_input::shape;
  using layout = slot_layout<hamiltonian>;
  using nodes = typename hamiltonian::nodes;

  static_assert(!invalid<Step>, "tapeless: trajectory: the step did not build");
  static_assert(!invalid<Cost>, "tapeless: trajectory: the running cost did not build");
  static constexpr bool running_is_scalar() {
    if constexpr (has_running)
      return Cost::shape::rank == 0;
    else
      return true;
  }
  static_assert(running_is_scalar(), "tapeless: trajectory(step, cost): the running cost must be a scalar");
  static_assert(list_contains<state_input, inputs>,
                "tapeless: trajectory: neither the step nor the running cost reads the state input (input<\"s\", S> "
                "with S the step's shape, or the name given as trajectory<State, Control>)");
  static_assert(input_leaf<typename Step::root> || op_node_type<typename Step::root>,
                "tapeless: trajectory: the step must compute the next state from the state and the control");

  // The inputs a step carries: the state, the control and the adjoint (the
  // others are context inputs).
  template <class I>
  static constexpr bool carried_input() {
    if constexpr (input_leaf<I>)
      return std::is_same_v<I, state_input> || std::is_same_v<I, adjoint_input> ||
             std::is_same_v<typename I::name, name_of<ControlName>>;
    else
      return false;
  }
  template <class I>
  static constexpr bool carried = carried_input<I>();

  // The leaves an adjoint step differentiates: the state, the control and,
  // when their gradient is wanted, the parameters (never the adjoint input,
  // nor a context input).
  template <bool WithParams>
  struct seeds {
    template <class Leaf>
    static constexpr bool seeded = (WithParams && param_leaf<Leaf>) ||
                                   (input_leaf<Leaf> && carried<Leaf> && !std::is_same_v<Leaf, adjoint_input>);
  };

  static constexpr std::size_t S = state_shape::size;
  static constexpr std::size_t U = control_input::shape::size;
  static constexpr std::size_t slots = layout::size;
  // Where f's and ℓ's results are in H's node list (node types hold
  // positions, so they are found by structural hash).
  template <class Part>
  static constexpr std::size_t position_of =
      merge_positions<nodes, typename Part::nodes>::plan.position[Part::size - 1];
  static constexpr std::size_t next_state_position = position_of<Step>;

  struct final_placeholder {
    using type = hamiltonian;
  };
  using final_expr =
      std::remove_const_t<typename std::conditional_t<has_final, std::type_identity<Final>, final_placeholder>::type>;
  using union_expr = std::remove_const_t<decltype(hamiltonian{} + final_expr{})>;
  using final_layout = slot_layout<final_expr>;
  using final_inputs = typename graph<final_expr>::inputs;

  template <class PS>
  static constexpr bool params_fit() {
    return detail::params_fit<hamiltonian, PS>() && (!has_final || detail::params_fit<final_expr, PS>());
  }

  template <class V>
  static const V* next_state(const V* values) {
    return values + layout::template offset_at<next_state_position>;
  }

  // Step t's node values from s_t and u_t (and the context inputs); returns
  // ℓ(s_t, u_t), or 0 without a running cost.
  template <class PS, class V, class Context>
  static V forward_step(V* values, const PS& P, const V* state, const V* control, const Context& context) {
    using E = typename PS::element_type;
    std::copy_n(state, S, values + layout::template offset<state_input>);
    std::copy_n(control, U, values + layout::template offset<control_input>);
    std::fill_n(values + layout::template offset<adjoint_input>, S, V(E(0)));
    context.template operator()<hamiltonian>(values);
    sweep_arrays<V, E> arrays;
    arrays.values = values;
    arrays.params = P.data();
    forward_sweep<hamiltonian, PS>(arrays);
    if constexpr (has_running)
      return V(value_view(arrays, location_at<hamiltonian, PS, position_of<Cost>>{})[0]);
    else
      return V(E(0));
  }

  // One step of the adjoint recursion: lambda holds λ_{t+1} on entry and
  // λ_t on return; ∂J/∂u_t is written, step t's ∂J/∂θ added to dP.
  template <bool WithParams, class PS, class V, class PA>
  static void reverse_step(V* values, const PS& P, V* lambda, PA* dP, V* d_control, const V& seed) {
    using E = typename PS::element_type;
    // The stored values of ⟨λ, f⟩ and of H were computed with λ = 0 and are
    // now stale; no rule reads them: the VJPs of dot, mul and add read only
    // their arguments (f, and the λ written here). `seed` is 1, or a lane
    // mask of 0s and 1s: H's root seeded with it weighs ℓ by the mask, and
    // leaves ⟨λ, f⟩ as it is, since λ is already 0 on the lanes masked off.
    std::copy_n(lambda, S, values + layout::template offset<adjoint_input>);
    // The adjoints in the compact planned layout (eval/adjoint_plan.hpp):
    // memory only for active nodes, zeroed as their first contribution
    // arrives; the state's and the control's stay alive to be read.
    using plan = adjoint_plan<hamiltonian, seeds<WithParams>>;
    constexpr std::size_t adjoint_count = plan::data.size > 0 ? plan::data.size : 1;
    if constexpr (sizeof(V) * adjoint_count > max_stack_bytes)
      static_assert(stack_bytes_over_limit<sizeof(V) * adjoint_count, max_stack_bytes>::value,
                    "tapeless: trajectory keeps one step's adjoints on the stack, and they take more bytes (first "
                    "template argument above) than TAPELESS_STACK_LIMIT (second); define TAPELESS_STACK_LIMIT higher "
                    "and run it on a thread whose stack is that large");
    std::array<V, adjoint_count> adjoints;
    sweep_arrays<V, E, PA> arrays;
    arrays.values = values;
    arrays.adjoints = adjoints.data();
    arrays.params = P.data();
    arrays.param_adjoints = dP;
    adjoint_view(arrays, planned_root_location<hamiltonian, PS, seeds<WithParams>>{})[0] = seed;
    planned_reverse_sweep<hamiltonian, PS, seeds<WithParams>>(arrays);
    auto adjoint_of = [&]<class I>() {
      return adjoint_view(arrays, planned_at<hamiltonian, PS, seeds<WithParams>, index_of<I, nodes>::value>{});
    };
    const auto d_u = adjoint_of.template operator()<control_input>();
    for (std::size_t k = 0; k < U; ++k) d_control[k] = d_u[k];
    const auto d_s = adjoint_of.template operator()<state_input>();
    for (std::size_t k = 0; k < S; ++k) lambda[k] = d_s[k];
  }

  // φ(s_T); with lambda, also λ_T = seed · ∂φ/∂s_T (and with WithParams
  // seed · ∂φ/∂θ added to dP).
  template <bool WithParams, class PS, class V, class PA, class Context>
  static V final_cost(const PS& P, const V* state, V* lambda, PA* dP, const V& seed, const Context& context) {
    using E = typename PS::element_type;
    using final_state = state_input;
    static_assert(list_contains<final_state, final_inputs>, "tapeless: trajectory: the final cost must read the state");
    if constexpr (!WithContext)
      static_assert(final_inputs::size == 1, "tapeless: trajectory: the final cost must read the state input and no other");
    if constexpr (sizeof(workspace<final_expr, V>) > max_stack_bytes)
      static_assert(stack_bytes_over_limit<sizeof(workspace<final_expr, V>), max_stack_bytes>::value,
                    "tapeless: trajectory keeps the final cost's workspace on the stack, and it takes more bytes "
                    "(first template argument above) than TAPELESS_STACK_LIMIT (second); define "
                    "TAPELESS_STACK_LIMIT higher and run it on a thread whose stack is that large");
    workspace<final_expr, V> ws;
    std::copy_n(state, S, ws.values.data() + final_layout::template offset<final_state>);
    context.template operator()<final_expr>(ws.values.data());
    sweep_arrays<V, E, PA> arrays;
    arrays.values = ws.values.data();
    arrays.adjoints = ws.adjoints.data();
    arrays.params = P.data();
    arrays.param_adjoints = dP;
    forward_sweep<final_expr, PS>(arrays);
    const V phi = V(value_view(arrays, root_location<final_expr, PS>{})[0]);
    if (lambda) {
      ws.adjoints.fill(V(E(0)));
      adjoint_view(arrays, root_location<final_expr, PS>{})[0] = seed;
      reverse_sweep<final_expr, PS, seeds<WithParams>>(arrays);
      std::copy_n(ws.adjoints.data() + final_layout::template offset<final_state>, S, lambda);
    }
    return phi;
  }

  // Numbers of V a rollout of `steps` steps keeps: ⌈T/k⌉ - 1 states and k
  // steps' node values.
  static constexpr std::size_t buffer_size(std::size_t steps, std::size_t every) {
    if (steps == 0) return 0;
    const scan_plan scan = scan_plan::of(steps, every);
    return scan.saved_states() * S + scan.every * slots;
  }

  // J only, one step's node values on the stack: s_0 in `state` on entry,
  // s_T on return. control_at(t, scratch) points at u_t's U numbers
  // (scratch: room for them); on_state(t, s) sees s_0 … s_T.
  template <class PS, class V, class Controls, class Context, class OnState>
  static V rollout(const PS& P, std::array<V, S>& state, std::size_t T, const Controls& control_at,
                   const Context& context, const OnState& on_state) {
    using E = typename PS::element_type;
    std::array<V, slots> values;
    std::array<V, U> scratch;
    V total = V(E(0));
    for (std::size_t t = 0; t < T; ++t) {
      on_state(t, state.data());
      total += forward_step(values.data(), P, state.data(), control_at(t, scratch), context);
      std::copy_n(next_state(values.data()), S, state.begin());
    }
    on_state(T, state.data());
    if constexpr (has_final)
      total += final_cost<false>(P, state.data(), static_cast<V*>(nullptr), static_cast<E*>(nullptr), V(E(1)),
                                 context);
    return total;
  }

  // J, and the adjoint pass: s_0 in `state` on entry; λ_0 in `lambda` on
  // return; seed · ∂J/∂θ added to dP (WithParams); on_control_gradient(t,
  // ∂J/∂u_t) per step, last first; on_state as in rollout(). `buffer` has
  // buffer_size(T, every) numbers. Returns the forward evaluations of the
  // step, recomputation included, in `evaluations`.
  template <bool WithParams, class PS, class V, class PA, class Controls, class Context, class OnState,
            class OnControlGradient>
  static V rollout_and_adjoint(const PS& P, std::array<V, S>& state, std::array<V, S>& lambda, std::size_t T,
                               const Controls& control_at, V* buffer, std::size_t every, const V& seed, PA* dP,
                               const Context& context, const OnState& on_state,
                               const OnControlGradient& on_control_gradient, std::size_t& evaluations) {
    using E = typename PS::element_type;
    const std::array<V, S> initial = state;
    const scan_plan scan = scan_plan::of(T, every);
    V* saved_states = buffer;                             // states at t = k, 2k, …
    V* stretch_values = buffer + scan.saved_states() * S;  // k steps' node values
    auto step_values = [&](std::size_t slot) { return stretch_values + slot * slots; };
    std::array<V, U> scratch;

    // Forward: the rollout (scan_forward keeps the checkpoints; the last
    // stretch's node values stay in the buffer).
    V total = V(E(0));
    auto save = [&](std::size_t c) { std::copy(state.begin(), state.end(), saved_states + c * S); };
    auto advance = [&](std::size_t t, std::size_t slot) {
      const V cost = forward_step(step_values(slot), P, state.data(), control_at(t, scratch), context);
      std::copy_n(next_state(step_values(slot)), S, state.begin());
      return cost;
    };
    scan_forward(scan, save, [&](std::size_t t, std::size_t slot) {
      on_state(t, state.data());
      total += advance(t, slot);
    });
    on_state(T, state.data());
    evaluations = T;

    // λ_T from the final cost (0 without one).
    lambda.fill(V(E(0)));
    if constexpr (has_final) total += final_cost<WithParams>(P, state.data(), lambda.data(), dP, seed, context);

    // Reverse, stretch by stretch from the last, recomputing a stretch's
    // node values from its checkpoint when they were not kept.
    std::array<V, U> d_control;
    auto restore = [&](std::size_t c) {
      std::copy_n(c == 0 ? initial.data() : saved_states + (c - 1) * S, S, state.begin());
    };
    auto back = [&](std::size_t t, std::size_t slot) {
      reverse_step<WithParams>(step_values(slot), P, lambda.data(), dP, d_control.data(), seed);
      on_control_gradient(t, d_control.data());
    };
    evaluations += scan_reverse(scan, restore, advance, back);
    return total;
  }
};

}  // namespace detail

template <fixed_string StateName, fixed_string ControlName, class Step, class Cost, class Final>
class trajectory_problem {
  using scan = detail::hamiltonian_scan<StateName, ControlName, Step, Cost, Final, false>;
  using hamiltonian = typename scan::hamiltonian;
  using inputs = typename scan::inputs;
  static constexpr std::size_t S = scan::S;
  static constexpr std::size_t U = scan::U;

 public:
  using state_shape = typename scan::state_shape;
  using state_input = typename scan::state_input;
  using control_shape = typename scan::control_shape;

  // Every input is the state, the control or the adjoint; trajectory()
  // evaluates this, which reports any other input once.
  static constexpr bool inputs_known = [] {
    bool ok = true;
    detail::for_each_type(inputs{}, [&]<class I>() {
      if constexpr (!scan::template carried<I>) {
        static_assert(detail::trajectory_input_is_not_state_or_control<I>::value,
                      "tapeless: trajectory: the step and costs may read only the state and the control inputs (the "
                      "other input is the template argument above)");
        ok = false;
      }
    });
    return ok;
  }();

  // A parameter buffer holding every parameter of the step and the costs.
  template <class E = double>
  using params_type = params<typename scan::union_expr, E>;

  // Numbers of the buffer cost_and_gradient needs for `steps` steps:
  // every step's node values, or with checkpoints{k} ⌈T/k⌉ - 1 states and
  // k steps' node values.
  static constexpr std::size_t buffer_size(std::size_t steps, checkpoints plan = {}) {
    return scan::buffer_size(steps, plan.every);
  }
  // Node values of one step (the unit of the stored trajectory).
  static constexpr std::size_t numbers_per_step = scan::slots;

  // J only: one step's node values on the stack, no buffer. With `states`
  // ((T+1)·S numbers), also the rollout s_0 … s_T.
  template <detail::param_buffer PS>
  typename PS::element_type cost(const PS& P, std::span<const typename PS::element_type> s0,
                                 std::span<const typename PS::element_type> controls,
                                 std::span<typename PS::element_type> states = {}) const {
    using E = typename PS::element_type;
    static_assert(scan::template params_fit<PS>());
    detail::check_size("the initial state", s0.size(), S);
    const std::size_t T = steps_of(controls.size());
    if (!states.empty()) detail::check_size("the states output", states.size(), (T + 1) * S);
    std::array<E, S> state{};
    std::copy(s0.begin(), s0.end(), state.begin());
    return scan::rollout(
        P, state, T, [&](std::size_t t, auto&) { return controls.data() + t * U; }, detail::no_context{},
        [&](std::size_t t, const E* s) {
          if (!states.empty()) std::copy_n(s, S, states.begin() + t * S);
        });
  }

  // J and the parts of its gradient `out` asks for (see trajectory_gradient):
  //
  //   problem.cost_and_gradient(P, s0, controls, buffer, {.params = &dP, .controls = d_controls});
  //
  // With checkpoints{k}, memory for O(T/k + k) states instead of T steps.
  template <detail::param_buffer PS>
  trajectory_result<typename PS::element_type> cost_and_gradient(
      const PS& P, std::span<const typename PS::element_type> s0, std::span<const typename PS::element_type> controls,
      std::span<typename PS::element_type> buffer, const trajectory_gradient<PS>& out, checkpoints plan = {}) const {
    if (out.params)
      return run_adjoint<true>(P, s0, controls, buffer, out, plan);
    else
      return run_adjoint<false>(P, s0, controls, buffer, out, plan);
  }

 private:
  template <bool WithParams, class PS>
  trajectory_result<typename PS::element_type> run_adjoint(const PS& P, std::span<const typename PS::element_type> s0,
                                                           std::span<const typename PS::element_type> controls,
                                                           std::span<typename PS::element_type> buffer,
                                                           const trajectory_gradient<PS>& gradient,
                                                           checkpoints plan) const {
    using E = typename PS::element_type;
    static_assert(scan::template params_fit<PS>());
    // Every size first: nothing is written when one is wrong.
    detail::check_size("the initial state", s0.size(), S);
    const std::size_t T = steps_of(controls.size());
    if (!gradient.controls.empty()) detail::check_size("the control gradient", gradient.controls.size(), T * U);
    if (!gradient.initial_state.empty())
      detail::check_size("the initial-state gradient", gradient.initial_state.size(), S);
    if (!gradient.states.empty()) detail::check_size("the states output", gradient.states.size(), (T + 1) * S);
    const std::size_t k = detail::scan_plan::of(T, plan.every).every;
    const std::size_t needed = buffer_size(T, plan);
    if (buffer.size() < needed)
      throw shape_error("tapeless: trajectory: the buffer has " + std::to_string(buffer.size()) + " numbers; " +
                        std::to_string(T) + " steps need buffer_size(T" +
                        (plan.every == 0 ? std::string() : ", checkpoints{" + std::to_string(k) + "}") +
                        ") = " + std::to_string(needed));

    trajectory_result<E> out{E(0), T, 0};
    E* dP = nullptr;
    if constexpr (WithParams) {
      gradient.params->fill(E(0));
      dP = gradient.params->data();
    }
    std::array<E, S> state{}, lambda{};
    std::copy(s0.begin(), s0.end(), state.begin());
    out.cost = scan::template rollout_and_adjoint<WithParams>(
        P, state, lambda, T, [&](std::size_t t, auto&) { return controls.data() + t * U; }, buffer.data(), plan.every,
        E(1), dP, detail::no_context{},
        [&](std::size_t t, const E* s) {
          if (!gradient.states.empty()) std::copy_n(s, S, gradient.states.begin() + t * S);
        },
        [&](std::size_t t, const E* d_control) {
          if (!gradient.controls.empty()) std::copy_n(d_control, U, gradient.controls.begin() + t * U);
        },
        out.step_evaluations);
    if (!gradient.initial_state.empty()) std::copy(lambda.begin(), lambda.end(), gradient.initial_state.begin());
    return out;
  }

  static std::size_t steps_of(std::size_t control_numbers) {
    if (control_numbers % U != 0)
      throw shape_error("tapeless: trajectory: " + std::to_string(control_numbers) +
                        " control numbers are not a whole number of steps of " + std::to_string(U));
    return control_numbers / U;
  }
};

// The problem "roll out `step` from a given state under given controls,
// summing `running_cost` at every step and `final_cost` at the end". The
// state is the input named StateName ("s", of the step's shape) and the
// control the input named ControlName ("u").
template <fixed_string StateName = "s", fixed_string ControlName = "u", expression Step, expression Cost,
          class Final = no_final_cost>
constexpr auto trajectory(Step, Cost, Final = {}) {
  using problem = trajectory_problem<StateName, ControlName, std::remove_const_t<Step>, std::remove_const_t<Cost>,
                                     std::remove_const_t<Final>>;
  (void)problem::inputs_known;
  return problem{};
}

}  // namespace tapeless
