#pragma once
// The sweeps over a graph: forward (values), reverse (adjoints) and tangent
// (forward-mode derivatives), written once for every op and number type.
//
// A sweep walks `graph<Root>::nodes` (each distinct node once, arguments
// before uses) and calls the op rules through `rules<Op>`. The reverse sweep
// walks the same list backwards: when it reaches a node, every use of that
// node has already added its contribution to the node's adjoint, so the
// adjoint is propagated once, whatever the node's fan-out.
//
// Only "active" nodes are differentiated: those that reach a seeded leaf (a
// parameter, or an input whose gradient or tangent was asked for). The VJP
// for an argument that reaches no seed is never called, so `W * x` pays for
// x̄ = Wᵀ ȳ only when x needs a gradient.
//
// Sweeps expand the list of calls in a braced list, not a fold expression
// (clang 14 caps fold expressions at 256 operands).
//
// Compile time: each node is turned into an `op_call` naming only its op,
// the locations (offset and shape) of its output and arguments, and which
// arguments are active. The functions the compiler instantiates per node
// are therefore keyed on a few integers, not on the node's type, which for
// a deep graph spells the whole graph below it; a sweep is one fold over
// the list of calls. (Keying per-node functions on node types made a
// 64-block residual stack take 39 s to compile; see docs/design.md.)

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/core/type_list.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless::detail {

// Which leaves a sweep differentiates with respect to.
template <bool Params, bool Inputs>
struct seed_leaves {
  template <class Leaf>
  static constexpr bool seeded = (Params && param_leaf<Leaf>) || (Inputs && input_leaf<Leaf>);
};

// Whether node N depends on a seeded leaf. One instantiation per node and
// seed set, so each is decided once.
template <class N, class Seeds>
struct reaches : std::bool_constant<Seeds::template seeded<N>> {};
template <class Op, class... Ids, class Seeds>
struct reaches<node<Op, Ids...>, Seeds> : std::bool_constant<(reaches<typename Ids::type, Seeds>::value || ...)> {};

// Where a node's numbers live during a sweep.
template <std::size_t Offset, class Shape>
struct slot_location {};  // in the workspace arrays
template <std::size_t Offset, class Shape>
struct param_location {};  // in the parameter buffers
template <class Ratio>
struct constant_location {};  // in the type

// A scalar constant as a read-only view.
template <class E, class R>
struct constant_view {
  using shape = scalar;
  static constexpr std::size_t size() { return 1; }
  constexpr E operator[](std::size_t) const { return R::template as<E>(); }
};

// The arrays of one call.
//   T   the sweep's number type (double, float, a SIMD batch, a dual, ...)
//   E   the element type of the parameter buffers
//   PA  the number type parameter adjoints accumulate in
template <class T, class E, class PA = E>
struct sweep_arrays {
  T* values = nullptr;
  T* adjoints = nullptr;
  T* tangents = nullptr;
  const E* params = nullptr;
  PA* param_adjoints = nullptr;
  const E* param_tangents = nullptr;
};

template <class T, class E, class PA, std::size_t O, class S>
tensor_view<T, S> value_view(const sweep_arrays<T, E, PA>& a, slot_location<O, S>) {
  return tensor_view<T, S>(a.values + O);
}
template <class T, class E, class PA, std::size_t O, class S>
tensor_view<const E, S> value_view(const sweep_arrays<T, E, PA>& a, param_location<O, S>) {
  return tensor_view<const E, S>(a.params + O);
}
template <class T, class E, class PA, class R>
constant_view<E, R> value_view(const sweep_arrays<T, E, PA>&, constant_location<R>) {
  return {};
}

template <class T, class E, class PA, std::size_t O, class S>
tensor_view<T, S> adjoint_view(const sweep_arrays<T, E, PA>& a, slot_location<O, S>) {
  return tensor_view<T, S>(a.adjoints + O);
}
template <class T, class E, class PA, std::size_t O, class S>
tensor_view<PA, S> adjoint_view(const sweep_arrays<T, E, PA>& a, param_location<O, S>) {
  return tensor_view<PA, S>(a.param_adjoints + O);
}

template <class T, class E, class PA, std::size_t O, class S>
tensor_view<T, S> tangent_view(const sweep_arrays<T, E, PA>& a, slot_location<O, S>) {
  return tensor_view<T, S>(a.tangents + O);
}
template <class T, class E, class PA, std::size_t O, class S>
tensor_view<const E, S> tangent_view(const sweep_arrays<T, E, PA>& a, param_location<O, S>) {
  return tensor_view<const E, S>(a.param_tangents + O);
}

// The location of node N in a call on Root with parameter buffer ParamSet.
template <class N, class Root, class ParamSet>
struct location_of {
  using type = slot_location<slot_layout<Root>::template offset<N>, typename N::shape>;
};
template <class Name, class S, class Root, class ParamSet>
struct location_of<param_t<Name, S>, Root, ParamSet> {
  using type = param_location<ParamSet::template offset_of<param_t<Name, S>>(), S>;
};
template <std::intmax_t Num, std::intmax_t Den, class Root, class ParamSet>
struct location_of<constant_t<Num, Den>, Root, ParamSet> {
  using type = constant_location<rational<Num, Den>>;
};

// One op node as the sweeps run it. Active is a bit mask: bit I says that
// argument I reaches a seed and needs its adjoint or carries a tangent.
template <class Op, unsigned Active, class Out, class... In>
struct op_call {
  static constexpr bool active = Active != 0;

  template <class A>
  static void forward(const A& a) {
    rules<Op>::value(value_view(a, Out{}), value_view(a, In{})...);
  }

  template <std::size_t I, class A>
  static void pull_back(const A& a) {
    if constexpr ((Active >> I) & 1u)
      rules<Op>::vjp(arg<I>, adjoint_view(a, type_at<I, type_list<In...>>{}), adjoint_view(a, Out{}),
                     value_view(a, In{})..., value_view(a, Out{}));
  }
  template <class A>
  static void reverse(const A& a) {
    if constexpr (active)
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (pull_back<I>(a), ...);
      }(std::index_sequence_for<In...>{});
  }

  template <std::size_t I, class A>
  static void push_forward(const A& a) {
    if constexpr ((Active >> I) & 1u)
      rules<Op>::jvp(arg<I>, tangent_view(a, Out{}), tangent_view(a, type_at<I, type_list<In...>>{}),
                     value_view(a, In{})..., value_view(a, Out{}));
  }
  template <class A>
  static void tangent(const A& a) {
    if constexpr (active) {
      for (auto& t : tangent_view(a, Out{})) t = zero_like(t);
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (push_forward<I>(a), ...);
      }(std::index_sequence_for<In...>{});
    }
  }
};

template <std::size_t K>
constexpr unsigned bit_mask(const std::array<bool, K>& bits) {
  unsigned mask = 0;
  for (std::size_t i = 0; i < K; ++i) mask |= bits[i] ? 1u << i : 0u;
  return mask;
}

template <class N, class Root, class ParamSet, class Seeds, class Args = typename N::args>
struct call_of;
template <class N, class Root, class ParamSet, class Seeds, class... A>
struct call_of<N, Root, ParamSet, Seeds, type_list<A...>> {
  static constexpr unsigned active = bit_mask(std::array<bool, sizeof...(A)>{reaches<A, Seeds>::value...});
  using type = op_call<typename N::op, active, typename location_of<N, Root, ParamSet>::type,
                       typename location_of<A, Root, ParamSet>::type...>;
};

// The op nodes of Root as op_calls, in topological order.
template <class Root, class ParamSet, class Seeds, class Nodes = detail::filter_t<typename graph<Root>::nodes, is_node>>
struct call_list;
template <class Root, class ParamSet, class Seeds, class... N>
struct call_list<Root, ParamSet, Seeds, type_list<N...>> {
  using type = type_list<typename call_of<N, Root, ParamSet, Seeds>::type...>;
};

// Told of each node a sweep evaluates; the default does nothing and
// compiles away. Tests count visits with it.
struct no_observer {
  template <class Call>
  void forward_visit() const {}
  template <class Call>
  void reverse_visit() const {}
  template <class Call>
  void tangent_visit() const {}
};

// Values of every op node. Input slots must be loaded first.
template <class Root, class ParamSet, class A, class Observer = no_observer>
void forward_sweep(const A& arrays, const Observer& observer = {}) {
  using calls = typename call_list<Root, ParamSet, seed_leaves<false, false>>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{(observer.template forward_visit<C>(), C::forward(arrays), 0)...};
  }(calls{});
}

// Adjoints of every active node. Values must be computed, slot adjoints
// zeroed and the root's adjoint seeded; parameter adjoints are added to
// whatever the parameter adjoint buffer holds.
template <class Root, class ParamSet, class Seeds, class A, class Observer = no_observer>
void reverse_sweep(const A& arrays, const Observer& observer = {}) {
  using calls = typename reverse<typename call_list<Root, ParamSet, Seeds>::type>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{
        (C::active ? observer.template reverse_visit<C>() : void(), C::reverse(arrays), 0)...};
  }(calls{});
}

// Values and tangents of every op node in one pass. Input values and the
// tangents of seeded inputs must be loaded first.
template <class Root, class ParamSet, class Seeds, class A, class Observer = no_observer>
void tangent_sweep(const A& arrays, const Observer& observer = {}) {
  using calls = typename call_list<Root, ParamSet, Seeds>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{(observer.template forward_visit<C>(), C::forward(arrays),
                                      C::active ? observer.template tangent_visit<C>() : void(),
                                      C::tangent(arrays), 0)...};
  }(calls{});
}

}  // namespace tapeless::detail
