#pragma once
// Second derivatives of a scalar expression, by forward-over-reverse.
//
//   auto r = hvp(f, P, V, bind<"x">(x));     // r.hvp = ∇²_θ f · V
//   auto r = hvp(f, P, bind<"x">(x), tangent<"x">(u));  // direction in x
//   auto H = hessian(f, P, wrt<"x">, bind<"x">(x));      // H.matrix: n × n
//
// A Hessian-vector product H v is the directional derivative of the
// gradient: d/dε ∇f(w + ε v) at ε = 0. The gradient is what the reverse
// sweep computes, so H v is the reverse sweep differentiated in forward
// mode: push the direction v through the forward sweep (a tangent per node
// value, by the ops' tangent rules), then run the ops' adjoint rules on dual
// numbers value + ε tangent. Each adjoint comes out as a dual whose value is
// the gradient entry and whose tangent is the entry of H v. Cost: a small
// constant times one gradient, whatever n is (docs/second_order.md).
//
// hessian() takes n such products, one per unit vector of the wrt entries,
// several at once: the tangent part of the duals is a SIMD pack with one
// direction per lane. The result is symmetric to rounding (exactly only
// when the rounding of both orders agrees).
//
// The forward part uses the ops' tangent rules rather than their value
// rules on duals, so an op at its kink contributes the subgradient it
// documents, as in jvp().

#include <array>
#include <cstddef>
#include <tapeless/core/params.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/stack_limit.hpp>
#include <tapeless/eval/wrt.hpp>
#include <tapeless/math/dual.hpp>
#include <type_traits>

namespace tapeless {

template <class E, class ParamSet, class InputValues>
struct hvp_result {
  E value;
  ParamSet grad;           // ∂f/∂θ
  InputValues input_grad;  // ∂f/∂x, `input_grad.get<"x">()`
  ParamSet hvp;            // the θ part of H v
  InputValues input_hvp;   // the input part of H v
};

template <class E, std::size_t N, std::size_t Lanes>
struct hessian_result {
  E value;
  tensor<E, vec<N>> grad;       // ∂f/∂w_j
  tensor<E, mat<N, N>> matrix;  // matrix(i, j) = ∂²f / ∂w_i ∂w_j
  // One Hessian-vector product per column, `lanes` per pass.
  static constexpr std::size_t sweeps = N;
  static constexpr std::size_t lanes = Lanes;
  static constexpr std::size_t passes = (N + Lanes - 1) / Lanes;
  std::size_t passes_run = 0;  // counted as they ran
};

namespace detail {

template <class Seeds, class Leaves>
struct seeds_any;
template <class Seeds, class... L>
struct seeds_any<Seeds, type_list<L...>> : std::bool_constant<(Seeds::template seeded<L> || ...)> {};

// One forward-over-reverse pass of the scalar Root in direction(s) of type
// D (E: one direction; a lane pack: one per lane).
//   TangentSeeds  leaves the direction moves (their tangents are set by
//                 `seed(slot_tangents, param_tangents)`; input tangents
//                 bound with tangent<name>(...) are loaded when D is E)
//   AdjointSeeds  leaves whose gradient and H v part are wanted
//   read(slot_adjoints, param_adjoints) receives the dual adjoints.
// Returns f.
template <class Root, class ParamSet, class TangentSeeds, class AdjointSeeds, class D, class Seed, class Read,
          class... B>
typename ParamSet::element_type forward_over_reverse(const ParamSet& P, Seed&& seed, Read&& read,
                                                     const B&... bindings) {
  using E = typename ParamSet::element_type;
  using number = dual<E, D>;
  using param_list = typename graph<Root>::params;
  constexpr std::size_t slots = slot_layout<Root>::size;
  [[maybe_unused]] constexpr bool params_move = seeds_any<TangentSeeds, param_list>::value;
  [[maybe_unused]] constexpr bool params_pulled = seeds_any<AdjointSeeds, param_list>::value;

  // Forward: values, and their tangents along the direction(s).
  std::array<E, slots> values;
  std::array<D, slots> tangents;
  std::array<D, params_move ? ParamSet::size() : 0> param_tangents;
  tangents.fill(D(E(0)));
  param_tangents.fill(D(E(0)));
  if constexpr (std::is_same_v<D, E>)
    load_inputs<Root, E>(values.data(), tangents.data(), bindings...);
  else
    load_inputs<Root, E>(values.data(), static_cast<E*>(nullptr), bindings...);
  seed(tangents.data(), param_tangents.data());

  sweep_arrays<D, E, E, E, D> forward;
  forward.values = values.data();
  forward.tangents = tangents.data();
  forward.params = P.data();
  forward.param_tangents = param_tangents.data();
  tangent_sweep<Root, ParamSet, TangentSeeds>(forward);
  const E f = read_value<Root, ParamSet>(forward);
  if constexpr (root_active<Root, AdjointSeeds>) {
    // Reverse, on duals: parameters that move become duals too.
    std::array<number, slots> dual_values;
    std::array<number, slots> adjoints;
    for (std::size_t k = 0; k < slots; ++k) dual_values[k] = number(values[k], tangents[k]);
    adjoints.fill(number(E(0)));
    std::array<number, params_move ? ParamSet::size() : 0> dual_params;
    for (std::size_t k = 0; k < dual_params.size(); ++k) dual_params[k] = number(P.data()[k], param_tangents[k]);
    std::array<number, params_pulled ? ParamSet::size() : 0> param_adjoints;
    param_adjoints.fill(number(E(0)));

    using param_number = std::conditional_t<params_move, number, E>;
    sweep_arrays<number, param_number, number> reverse;
    reverse.values = dual_values.data();
    reverse.adjoints = adjoints.data();
    if constexpr (params_move)
      reverse.params = dual_params.data();
    else
      reverse.params = P.data();
    reverse.param_adjoints = param_adjoints.data();
    adjoint_view(reverse, root_location<Root, ParamSet>{})[0] += number(E(1));
    reverse_sweep<Root, ParamSet, AdjointSeeds>(reverse);
    read(static_cast<const number*>(adjoints.data()), static_cast<const number*>(param_adjoints.data()));
  }
  return f;
}

// Bytes one forward_over_reverse pass in direction type D keeps on the
// stack, at most (every parameter array counted).
template <class Root, class ParamSet, class D>
constexpr std::size_t forward_over_reverse_bytes() {
  using E = typename ParamSet::element_type;
  constexpr std::size_t slots = slot_layout<Root>::size, params = ParamSet::size();
  return slots * (sizeof(E) + sizeof(D) + 2 * sizeof(dual<E, D>)) + params * (sizeof(D) + 2 * sizeof(dual<E, D>));
}

template <bool ParamDirection, class Root, class ParamSet, class... B>
auto run_hvp(const ParamSet& P, const typename ParamSet::element_type* dP, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using layout = slot_layout<Root>;
  using result_type = hvp_result<E, ParamSet, input_values<Root, E>>;
  constexpr std::size_t stack = forward_over_reverse_bytes<Root, ParamSet, E>() + sizeof(result_type);
  result_type out{};
  if constexpr (stack > max_stack_bytes) {
    static_assert(stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: hvp keeps a forward and a reverse sweep on dual numbers and its result on the stack, "
                  "and they take more bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); hvp "
                  "has no engine form yet: define TAPELESS_STACK_LIMIT higher and call it on a thread whose stack "
                  "is that large");
  } else if constexpr (!invalid<Root> && reverse_call_fits<Root, ParamSet, B...>()) {
    using direction = tangent_seeds<ParamDirection, std::remove_cvref_t<B>...>;
    // P may hold more parameters than f uses; with none used, there are no
    // parameter arrays at all (and the results stay zero).
    constexpr bool uses_params = graph<Root>::params::size > 0;
    auto seed = [&](E*, E* param_tangents) {
      if constexpr (ParamDirection && uses_params)
        for (std::size_t k = 0; k < ParamSet::size(); ++k) param_tangents[k] = dP[k];
    };
    auto read = [&](const dual<E>* adjoints, const dual<E>* param_adjoints) {
      if constexpr (uses_params)
        for (std::size_t k = 0; k < ParamSet::size(); ++k) {
          out.grad.data()[k] = param_adjoints[k].value;
          out.hvp.data()[k] = param_adjoints[k].tangent;
        }
      for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
        constexpr std::size_t from = layout::template offset<I>;
        constexpr std::size_t to = input_values<Root, E>::template offset_of<I>();
        for (std::size_t k = 0; k < I::shape::size; ++k) {
          out.input_grad.data()[to + k] = adjoints[from + k].value;
          out.input_hvp.data()[to + k] = adjoints[from + k].tangent;
        }
      });
    };
    out.value = forward_over_reverse<Root, ParamSet, direction, seed_leaves<true, true>, E>(P, seed, read, bindings...);
  }
  return out;
}

}  // namespace detail

// The gradient of the scalar f and the Hessian-vector product H v, where
// the direction v is dP for the parameters and tangent<name>(...) for the
// inputs (inputs without one do not move). One forward and one reverse
// sweep, on dual numbers.
template <expression Root, detail::param_buffer ParamSet, detail::any_binding... B>
auto hvp(Root, const ParamSet& P, const ParamSet& dP, const B&... bindings) {
  return detail::run_hvp<true, Root>(P, dP.data(), bindings...);
}

namespace detail {
struct hvp_needs_a_direction {
  static constexpr bool value = false;
};
}  // namespace detail

// The same with a direction in the inputs only.
template <expression Root, detail::param_buffer ParamSet, detail::any_binding... B>
auto hvp(Root, const ParamSet& P, const B&... bindings) {
  static_assert(
      (detail::is_tangent_binding<std::remove_cvref_t<B>>::value || ...) || detail::hvp_needs_a_direction::value,
      "tapeless: hvp(f, P, ...) needs a direction: a parameter direction hvp(f, P, dP, ...) or a "
      "tangent<name>(...) for an input");
  return detail::run_hvp<false, Root>(P, static_cast<const typename ParamSet::element_type*>(nullptr), bindings...);
}

template <expression Root, detail::any_binding... B>
auto hvp(Root root, const B&... bindings) {
  return hvp(root, detail::no_params<Root>(), bindings...);
}

// The dense Hessian of the scalar f with respect to the named inputs and
// parameters (eval/wrt.hpp), from n Hessian-vector products. For small n:
// the n × n result is returned by value.
template <expression Root, detail::param_buffer ParamSet, class... Names, detail::value_binding... B>
auto hessian(Root, const ParamSet& P, wrt_t<Names...>, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using pack = detail::direction_pack<E>;
  using wrt_leaves = detail::wrt_of<Root, ParamSet, wrt_t<Names...>>;
  using entries = typename wrt_leaves::layout;
  constexpr std::size_t N = wrt_leaves::size, W = pack::lanes;
  constexpr std::size_t slots = slot_layout<Root>::size;
  constexpr std::size_t params_bytes = entries::any_param ? ParamSet::size() * 3 * sizeof(dual<E, pack>) : 0;
  constexpr bool fits = detail::fits_on_stack<slots*(sizeof(E) + sizeof(pack) + 2 * sizeof(dual<E, pack>)) +
                                              params_bytes + N * N * sizeof(E)>();
  hessian_result<E, N, W> out{};
  if constexpr (fits && !invalid<Root> && wrt_leaves::found && detail::reverse_call_fits<Root, ParamSet, B...>()) {
    using seeds = typename wrt_leaves::seeds;
    for (std::size_t first = 0; first < N; first += W) {
      // Lane l carries the unit vector of entry first + l.
      auto seed = [&](pack* tangents, pack* param_tangents) {
        entries::for_each_entry([&](std::size_t j, bool in_params, std::size_t at) {
          (in_params ? param_tangents[at] : tangents[at]) = j >= first ? detail::unit_lane<E>(j - first) : pack(E(0));
        });
      };
      // Row i of the adjoint duals: ∂f/∂w_i, and lane l of its tangent is
      // ∂²f/∂w_i∂w_(first+l) = matrix(i, first + l).
      auto read = [&](const dual<E, pack>* adjoints, const dual<E, pack>* param_adjoints) {
        entries::for_each_entry([&](std::size_t i, bool in_params, std::size_t at) {
          const auto& a = in_params ? param_adjoints[at] : adjoints[at];
          out.grad[i] = a.value;
          const auto lanes = detail::lanes_of(a.tangent);
          for (std::size_t l = 0; l < W && first + l < N; ++l) out.matrix(i, first + l) = lanes[l];
        });
      };
      out.value = detail::forward_over_reverse<Root, ParamSet, seeds, seeds, pack>(P, seed, read, bindings...);
      ++out.passes_run;
    }
  }
  return out;
}

template <expression Root, class... Names, detail::value_binding... B>
auto hessian(Root root, wrt_t<Names...> w, const B&... bindings) {
  return hessian(root, detail::no_params<Root>(), w, bindings...);
}

}  // namespace tapeless
