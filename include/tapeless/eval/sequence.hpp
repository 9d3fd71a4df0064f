#pragma once
// Sequence models: a recurrent step run over per-step inputs, a loss on the
// last state, on every step, or both, and its gradient by the adjoint
// recursion of eval/trajectory.hpp, many sequences at once on SIMD lanes.
//
//   constexpr auto x = input<"x", vec<8>>;              // step t's input x_t
//   constexpr auto s = input<"s", vec<2 * H>>;          // the carried state
//   constexpr auto y = input<"y", class_index<10>>;     // one per sequence
//   constexpr auto logits = nn::dense<"out", 10>(nn::lstm_hidden<H>(s));
//   constexpr auto model = sequence(nn::lstm_cell<"lstm", H>(x, s),
//                                   on_last_state(nn::softmax_cross_entropy(logits, y)));
//
//   using engine_t = sequence_engine<decltype(model), decltype(model)::params_type<float>>;
//   auto engine = std::make_unique<engine_t>();
//   float L = engine->value_and_grad_into(P, G, n, bind<"x">(xs), bind<"y">(ys), mean_over_batch);
//
// The recurrence and the loss:
//
//   s_{t+1} = f(s_t, x_t; θ)                  t = 0 … T-1, T chosen at run time
//   L       = Σ_t ℓ(s_t, x_t; θ) + φ(s_T; θ)   on_every_step(ℓ), on_last_state(φ)
//
// The step f reads the state (input "s", of f's shape) and the step's input
// (input "x"); `sequence<"h", "u">(...)` renames them. ℓ and φ may also read
// inputs given once per sequence (a label, a target): context inputs. ℓ
// may read f itself: `on_every_step(loss(head(f), target))` is a loss on
// the state after the step, s_{t+1}, and shares f's nodes (a node is its
// type), so nothing is computed twice. A per-step target is then part of
// x_t (`slice` it out).
//
// Data, sample-major: bind<"x">(xs) holds n sequences of T steps, sequence
// i's step t at xs[(i T + t) X, (i T + t + 1) X): T is xs.size() / (n X).
// A context input holds n values of its shape; the state's name, when bound
// (n S numbers), gives s_0, else s_0 = 0. Sizes and class labels are
// checked before anything is written (shape_error, label_error).
//
// Parameters are shared by every step. The gradient is the adjoint
// recursion: one forward rollout keeping each step's node values, one
// reverse sweep per step (eval/trajectory.hpp's Hamiltonian). With
// `checkpoints{k}` among the arguments only every k-th state is kept and the
// steps between are recomputed (memory O(T/k + k) per lane, eval/scan.hpp),
// the same bits.
//
// The engine runs Pack registers of sequences per sweep (one sequence per
// lane; the tail's unused lanes repeat its first sequence with a zero
// seed), or one sequence at a time with a plain number type:
// sequence_engine<Model, ParamSet, float>. It keeps its buffers on the heap;
// a call allocates only when T is longer than in any call before.

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include <tapeless/simd/xsimd_compat.hpp>

#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/trajectory.hpp>
#include <tapeless/simd/lane_pack.hpp>

namespace tapeless {

// A loss on the state after the last step, φ(s_T).
template <class E>
struct on_last_state_t {
  E loss;
};
// A loss at every step, Σ_t ℓ(s_t, x_t).
template <class E>
struct on_every_step_t {
  E loss;
};
template <expression E>
constexpr on_last_state_t<E> on_last_state(E loss) {
  return {loss};
}
template <expression E>
constexpr on_every_step_t<E> on_every_step(E loss) {
  return {loss};
}

namespace detail {

template <class Input>
struct sequence_input_not_bound {
  static constexpr bool value = false;
};
template <class Name>
struct sequence_binding_names_no_input {
  static constexpr bool value = false;
};
template <class... A>
struct sequence_check_finite_not_supported {
  static constexpr bool value = false;
};

// A number type as lanes: a plain number is one lane.
template <class V>
struct sweep_lanes {
  using element = V;
  static constexpr std::size_t count = 1;
  template <class Get>
  static V gather(const Get& get) {
    return V(get(0));
  }
  static V below(std::size_t) { return V(1); }
  static element total(const V& v) { return v; }
  static void store(const V& v, element* out) { out[0] = v; }
};
template <class E, std::size_t K, class Arch>
struct sweep_lanes<lane_pack<E, K, Arch>> {
  using V = lane_pack<E, K, Arch>;
  using element = E;
  static constexpr std::size_t count = V::lanes;
  template <class Get>
  static V gather(const Get& get) {
    alignas(64) std::array<E, count> lanes;
    for (std::size_t l = 0; l < count; ++l) lanes[l] = E(get(l));
    return load_lanes<V>(lanes.data());
  }
  static V below(std::size_t valid) { return lanes_below<V>(valid); }
  static E total(const V& v) {
    auto s = v.part[0];
    for (std::size_t k = 1; k < K; ++k) s += v.part[k];
    return detail::reduce_add(s);
  }
  static void store(const V& v, E* out) {
    for (std::size_t k = 0; k < K; ++k) v.part[k].store_unaligned(out + k * V::part_type::size);
  }
};

}  // namespace detail

template <fixed_string StateName, fixed_string InputName, class Step, class Running, class Final>
class sequence_problem {
 public:
  using scan = detail::hamiltonian_scan<StateName, InputName, Step, Running, Final, true>;
  using state_shape = typename scan::state_shape;
  using state_input = typename scan::state_input;
  using step_input = typename scan::control_input;
  using step_shape = typename scan::control_shape;

  // Everything the step and the losses read, and the inputs given once per
  // sequence (neither the state nor the step's input).
  using all_inputs = typename graph<typename scan::union_expr>::inputs;
  template <class I>
  struct is_context {
    static constexpr bool value = !scan::template carried<I>;
  };
  using context_inputs = detail::filter_t<all_inputs, is_context>;
  // The inputs a data set binds: the step's input and the context inputs.
  using data_inputs = detail::concat_t<detail::type_list<step_input>, context_inputs>;

  template <class E = float>
  using params_type = params<typename scan::union_expr, E>;

  static_assert(scan::has_running || scan::has_final,
                "tapeless: sequence(step, ...) needs a loss: on_last_state(φ), on_every_step(ℓ), or both");
};

// The model "run `step` over the steps' inputs; the loss on the last state,
// on every step, or both".
template <fixed_string StateName = "s", fixed_string InputName = "x", expression Step, class Final>
constexpr auto sequence(Step, on_last_state_t<Final>) {
  return sequence_problem<StateName, InputName, std::remove_const_t<Step>, no_running_cost, std::remove_const_t<Final>>{};
}
template <fixed_string StateName = "s", fixed_string InputName = "x", expression Step, class Running>
constexpr auto sequence(Step, on_every_step_t<Running>) {
  return sequence_problem<StateName, InputName, std::remove_const_t<Step>, std::remove_const_t<Running>, no_final_cost>{};
}
template <fixed_string StateName = "s", fixed_string InputName = "x", expression Step, class Running, class Final>
constexpr auto sequence(Step, on_every_step_t<Running>, on_last_state_t<Final>) {
  return sequence_problem<StateName, InputName, std::remove_const_t<Step>, std::remove_const_t<Running>,
                          std::remove_const_t<Final>>{};
}

template <class Model>
concept sequence_model = requires { typename Model::scan::hamiltonian; typename Model::data_inputs; };

// n sequences through a sequence model: the loss, its gradient, the final
// states. V is the number type of a sweep: a lane pack (the default, Pack
// registers of sequences per sweep) or the parameters' element type (one
// sequence at a time).
template <sequence_model Model, class ParamSet,
          class V = lane_pack<typename ParamSet::element_type, 1, xsimd::default_arch>>
class sequence_engine {
  using scan = typename Model::scan;
  using lanes = detail::sweep_lanes<V>;
  static constexpr std::size_t S = scan::S;
  static constexpr std::size_t X = scan::U;

 public:
  using element_type = typename ParamSet::element_type;
  static_assert(std::is_same_v<typename lanes::element, element_type>,
                "tapeless: sequence_engine: the sweep's number type must carry the parameters' element type");
  static_assert(scan::template params_fit<ParamSet>(),
                "tapeless: sequence_engine: the parameter buffer does not hold the model's parameters");
  // Sequences per sweep.
  static constexpr std::size_t lanes_per_sweep = lanes::count;

  // The loss over the n sequences (summed, or averaged with
  // mean_over_batch); G is overwritten with its gradient.
  template <class... Args>
  element_type value_and_grad_into(const ParamSet& P, ParamSet& G, std::size_t n, const Args&... args) {
    return run<true>(P, &G, n, std::span<element_type>(), args...);
  }

  // The loss only.
  template <class... Args>
  element_type value(const ParamSet& P, std::size_t n, const Args&... args) {
    return run<false>(P, static_cast<ParamSet*>(nullptr), n, std::span<element_type>(), args...);
  }

  // The state after the last step of each sequence, n · S numbers in
  // `states` (sequence-major), for a head to read; returns the loss sum as
  // value() does.
  template <class... Args>
  element_type final_states_into(const ParamSet& P, std::size_t n, std::span<element_type> states,
                                 const Args&... args) {
    // Compared by division: n * S could wrap around for an absurd n.
    if (states.size() % S != 0 || states.size() / S != n)
      throw shape_error("tapeless: sequence_engine: the final-states output has " + std::to_string(states.size()) +
                        " numbers, " + std::to_string(n) + " sequences of states of " + std::to_string(S) +
                        " need " + (n > std::size_t(-1) / S ? "more than fit in memory" : std::to_string(n * S)));
    return run<false>(P, static_cast<ParamSet*>(nullptr), n, states, args...);
  }

 private:
  template <class B>
  static constexpr bool binds_state = std::is_same_v<typename B::name, typename scan::state_input::name>;
  template <class Name>
  using input_named = typename graph<typename scan::union_expr>::template input_named<Name>;
  template <class Name>
  static constexpr bool names_data_input = []<class... I>(detail::type_list<I...>) {
    return (std::is_same_v<typename I::name, Name> || ...);
  }(typename Model::data_inputs{});

  template <bool Grad, class... A>
  element_type run(const ParamSet& P, ParamSet* G, std::size_t n, std::span<element_type> final_states,
                   const A&... args) {
    constexpr bool mean = (std::is_same_v<A, mean_over_batch_t> || ...);
    if constexpr (detail::wants_check_finite<A...>)
      static_assert(detail::sequence_check_finite_not_supported<A...>::value,
                    "tapeless: sequence_engine does not take check_finite; test the loss and G after the call "
                    "(std::isfinite)");
    checkpoints plan{};
    ([&] {
      if constexpr (std::is_same_v<A, checkpoints>) plan = args;
    }(), ...);
    auto bindings = detail::bindings_among(args...);
    return std::apply(
        [&](const auto&... b) { return run_bound<Grad>(P, G, n, final_states, mean, plan, b...); }, bindings);
  }

  template <bool Grad, class... B>
  element_type run_bound(const ParamSet& P, ParamSet* G, std::size_t n, std::span<element_type> final_states,
                         bool mean, checkpoints plan, const B&... bindings) {
    // Every data input bound; otherwise one message, and nothing else is
    // compiled.
    constexpr bool complete = []<class... I>(detail::type_list<I...>) {
      return (detail::has_binding<detail::is_binding, I, B...> && ...);
    }(typename Model::data_inputs{});
    constexpr bool all_known = ((names_data_input<typename B::name> || binds_state<B>) && ...);
    if constexpr (!all_known) {
      (
          [&] {
            if constexpr (!names_data_input<typename B::name> && !binds_state<B>)
              static_assert(detail::sequence_binding_names_no_input<typename B::name>::value,
                            "tapeless: sequence_engine: this binding names no input of the model (the name is the "
                            "template argument above)");
          }(),
          ...);
      return element_type(0);
    } else if constexpr (!complete) {
      detail::for_each_type(typename Model::data_inputs{}, [&]<class I>() {
        if constexpr (!detail::has_binding<detail::is_binding, I, B...>)
          static_assert(detail::sequence_input_not_bound<I>::value,
                        "tapeless: sequence_engine: this input of the model (the template argument above) is not "
                        "bound: pass bind<\"name\">(values)");
      });
      return element_type(0);
    } else {
      return run_complete<Grad>(P, G, n, final_states, mean, plan, bindings...);
    }
  }

  template <bool Grad, class... B>
  element_type run_complete(const ParamSet& P, ParamSet* G, std::size_t n, std::span<element_type> final_states,
                            bool mean, checkpoints plan, const B&... bindings) {
    const auto all = std::forward_as_tuple(bindings...);
    const auto& step_data = std::get<detail::binding_index<detail::is_binding, typename scan::control_input, B...>()>(all);
    const auto xs = detail::sample_span(step_data.data);
    // Every size first, then the labels: nothing is written on a throw.
    if (n == 0 ? !xs.empty() : xs.size() % (n * X) != 0)
      throw shape_error("tapeless: sequence_engine: input '" + std::string(scan::control_input::name::view()) +
                        "' holds " + std::to_string(xs.size()) + " numbers, not " + std::to_string(n) +
                        " sequences of whole steps of " + std::to_string(X));
    const std::size_t T = n == 0 ? 0 : xs.size() / (n * X);
    (
        [&] {
          using I = input_named<typename B::name>;
          if constexpr (!std::is_same_v<I, typename scan::control_input>)
            detail::check_sample_count<I>(bindings.data, n);
        }(),
        ...);

    const std::size_t every = detail::scan_plan::of(T, plan.every).every;
    const std::size_t needed = scan::buffer_size(T, every);
    if constexpr (Grad) {
      if (buffer_.size() < needed) buffer_.resize(needed);
      param_acc_.assign(ParamSet::size(), V(element_type(0)));
    }
    const element_type scale = mean && n > 0 ? element_type(1) / element_type(n) : element_type(1);

    V loss_sum(element_type(0));
    for (std::size_t first = 0; first < n; first += lanes::count) {
      const std::size_t valid = std::min(lanes::count, n - first);
      auto sample = [&](std::size_t lane) { return first + (lane < valid ? lane : 0); };
      const V mask = valid == lanes::count ? V(element_type(1)) : lanes::below(valid);

      std::array<V, S> state, lambda;
      initial_state(state, sample, bindings...);
      auto control_at = [&](std::size_t t, std::array<V, X>& scratch) {
        for (std::size_t e = 0; e < X; ++e)
          scratch[e] = lanes::gather([&](std::size_t l) { return xs[(sample(l) * T + t) * X + e]; });
        return static_cast<const V*>(scratch.data());
      };
      auto context = context_loader(sample, bindings...);
      V total;
      if constexpr (Grad) {
        std::size_t evaluations = 0;
        total = scan::template rollout_and_adjoint<true>(
            P, state, lambda, T, control_at, buffer_.data(), every, mask, param_acc_.data(), context,
            [](std::size_t, const V*) {}, [](std::size_t, const V*) {}, evaluations);
      } else {
        total = scan::rollout(P, state, T, control_at, context, [](std::size_t, const V*) {});
        if (!final_states.empty()) store_states(state, first, valid, final_states);
      }
      loss_sum += total * mask;
    }
    if constexpr (Grad) {
      element_type* out = G->data();
      for (std::size_t k = 0; k < ParamSet::size(); ++k) out[k] = lanes::total(param_acc_[k]) * scale;
    }
    return lanes::total(loss_sum) * scale;
  }

  // s_0 from the state's binding, or 0.
  template <class Sample, class... B>
  static void initial_state(std::array<V, S>& state, const Sample& sample, const B&... bindings) {
    state.fill(V(element_type(0)));
    (
        [&] {
          if constexpr (binds_state<B>) {
            const auto s0 = detail::sample_span(bindings.data);
            for (std::size_t e = 0; e < S; ++e)
              state[e] = lanes::gather([&](std::size_t l) { return s0[sample(l) * S + e]; });
          }
        }(),
        ...);
  }

  // Writes a graph's context inputs, lane by lane, from their bindings.
  template <class Sample, class... B>
  static auto context_loader(const Sample& sample, const B&... bindings) {
    return [&sample, &bindings...]<class Graph>(V* values) {
      detail::for_each_type(typename graph<Graph>::inputs{}, [&]<class I>() {
        if constexpr (!scan::template carried<I>) {
          const auto all = std::forward_as_tuple(bindings...);
          const auto data = detail::sample_span(std::get<detail::binding_index<detail::is_binding, I, B...>()>(all).data);
          constexpr std::size_t size = I::shape::size;
          V* slot = values + slot_layout<Graph>::template offset<I>;
          for (std::size_t e = 0; e < size; ++e)
            slot[e] = lanes::gather([&](std::size_t l) { return data[sample(l) * size + e]; });
        }
      });
    };
  }

  static void store_states(const std::array<V, S>& state, std::size_t first, std::size_t valid,
                           std::span<element_type> out) {
    alignas(64) std::array<element_type, lanes::count> lane_values;
    for (std::size_t e = 0; e < S; ++e) {
      lanes::store(state[e], lane_values.data());
      for (std::size_t l = 0; l < valid; ++l) out[(first + l) * S + e] = lane_values[l];
    }
  }

  std::vector<V> buffer_;
  std::vector<V> param_acc_;
};

}  // namespace tapeless
