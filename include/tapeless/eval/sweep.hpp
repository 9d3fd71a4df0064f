#pragma once
// The sweeps over a graph: forward (values), reverse (adjoints) and tangent
// (forward-mode derivatives), written once for every op and number type.
//
// A sweep walks the expression's node list (each distinct node once,
// arguments before uses) and calls the op rules through `rules<Op>`. The reverse sweep
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
// are keyed on a few integers and shapes; nodes with the same op and slots
// share them, and none is named after the whole graph.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
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

// For every node of Root: whether it depends on a seeded leaf. One pass
// over the list, arguments before uses.
template <std::size_t N>
constexpr std::array<bool, N> reaching(std::array<bool, N> seeded, const std::array<node_args, N>& args) {
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t a = 0; a < args[k].count; ++a) seeded[k] = seeded[k] || seeded[args[k].index[a]];
  return seeded;
}

template <class Root, class Seeds, class Nodes = typename Root::nodes>
struct activity;
template <class Root, class Seeds, class... N>
struct activity<Root, Seeds, type_list<N...>> {
  static constexpr std::array<bool, sizeof...(N)> active =
      reaching(std::array<bool, sizeof...(N)>{Seeds::template seeded<N>...}, graph_args<type_list<N...>>::args);
};

// Whether Root's value depends on a seeded leaf.
template <class Root, class Seeds>
inline constexpr bool root_active = activity<Root, Seeds>::active[Root::size - 1];

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
//   V   the number type of node values; T by default. A sweep that pushes
//       or pulls several directions at once keeps one value per node (V a
//       plain float) and one tangent or adjoint per direction (T a SIMD
//       pack, one direction per lane).
//   PT  the number type of parameter tangents; E by default
template <class T, class E, class PA = E, class V = T, class PT = E>
struct sweep_arrays {
  V* values = nullptr;
  T* adjoints = nullptr;
  T* tangents = nullptr;
  const E* params = nullptr;
  PA* param_adjoints = nullptr;
  const PT* param_tangents = nullptr;
};

template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<V, S> value_view(const sweep_arrays<T, E, PA, V, PT>& a, slot_location<O, S>) {
  return tensor_view<V, S>(a.values + O);
}
template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<const E, S> value_view(const sweep_arrays<T, E, PA, V, PT>& a, param_location<O, S>) {
  return tensor_view<const E, S>(a.params + O);
}
// A constant is a plain float even when parameters are dual numbers.
template <class T, class E, class PA, class V, class PT, class R>
constant_view<typename element_of<E>::type, R> value_view(const sweep_arrays<T, E, PA, V, PT>&,
                                                          constant_location<R>) {
  return {};
}

template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<T, S> adjoint_view(const sweep_arrays<T, E, PA, V, PT>& a, slot_location<O, S>) {
  return tensor_view<T, S>(a.adjoints + O);
}
template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<PA, S> adjoint_view(const sweep_arrays<T, E, PA, V, PT>& a, param_location<O, S>) {
  return tensor_view<PA, S>(a.param_adjoints + O);
}

template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<T, S> tangent_view(const sweep_arrays<T, E, PA, V, PT>& a, slot_location<O, S>) {
  return tensor_view<T, S>(a.tangents + O);
}
template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<const PT, S> tangent_view(const sweep_arrays<T, E, PA, V, PT>& a, param_location<O, S>) {
  return tensor_view<const PT, S>(a.param_tangents + O);
}

// Locations as values: one array per graph and parameter buffer holds
// every node's location, so the location of an op's argument is found by
// indexing it. Looking the argument's node up in the list instead is an
// overload resolution over the whole list per lookup, O(n²) over a sweep.
enum class location_kind : unsigned char { slot, param, constant };
struct location_code {
  location_kind kind = location_kind::slot;
  std::size_t offset = 0;  // in the workspace or the parameter buffer
  std::intmax_t num = 0, den = 1;  // a constant's value
  shape_code shape{};
};

// The offset of parameter N in a buffer of Leaves; 0 for other nodes.
template <class N, class Leaves>
struct param_offset : std::integral_constant<std::size_t, 0> {};
// A parameter, or a loop node's stack of them (core/expr.hpp).
template <class N, class Leaves>
  requires param_leaf<N>
struct param_offset<N, Leaves>
    : std::integral_constant<std::size_t, leaf_layout<Leaves>::offsets[index_of<N, Leaves>::value]> {};

// Keyed on the node alone (see core/merge.hpp, list_structure, on why
// nothing per node is keyed on the graph).
template <class N>
constexpr location_code node_location(std::size_t slot_offset, std::size_t param_offset) {
  if constexpr (param_leaf<N>)
    return {location_kind::param, param_offset, 0, 1, code_of_shape<typename N::shape>()};
  else if constexpr (constant_leaf<N>)
    return {location_kind::constant, 0, N::value::num, N::value::den, shape_code{}};
  else
    return {location_kind::slot, slot_offset, 0, 1, code_of_shape<typename N::shape>()};
}

template <class Root, class ParamSet, class Nodes = typename Root::nodes,
          class Positions = std::make_index_sequence<list_size<Nodes>::value>>
struct location_codes;
template <class Root, class ParamSet, class... N, std::size_t... K>
struct location_codes<Root, ParamSet, type_list<N...>, std::index_sequence<K...>> {
  static constexpr std::array<location_code, sizeof...(N)> value{
      node_location<N>(slot_layout<Root>::offsets[K], param_offset<N, typename ParamSet::leaves>::value)...};
};

template <location_kind Kind, std::size_t Offset, std::intmax_t Num, std::intmax_t Den, class Shape>
struct location_type {
  using type = slot_location<Offset, Shape>;
};
template <std::size_t Offset, std::intmax_t Num, std::intmax_t Den, class Shape>
struct location_type<location_kind::param, Offset, Num, Den, Shape> {
  using type = param_location<Offset, Shape>;
};
template <std::size_t Offset, std::intmax_t Num, std::intmax_t Den, class Shape>
struct location_type<location_kind::constant, Offset, Num, Den, Shape> {
  using type = constant_location<rational<Num, Den>>;
};

// A code read once as a template argument (one constant evaluation of the
// table entry instead of one per field).
template <location_code C>
struct location_of_code_t {
  using type = typename location_type<C.kind, C.offset, C.num, C.den, shape_of_code<C.shape>>::type;
};
template <location_code C>
using location_of_code = typename location_of_code_t<C>::type;

// The shape of entry K of a location_codes table.
template <class Codes, std::size_t K>
using shape_in = shape_of_code<Codes::value[K].shape>;

template <class Codes, std::size_t K>
using location_in = location_of_code<Codes::value[K]>;

// The location of the node at position K of Root's list, in a call with
// parameter buffer ParamSet.
template <class Root, class ParamSet, std::size_t K>
using location_at = location_in<location_codes<Root, ParamSet>, K>;

// Where Root's value is.
template <class Root, class ParamSet>
using root_location = location_at<Root, ParamSet, Root::size - 1>;

// An op that runs sweeps of its own (the repeat loop node, ops/repeat.hpp):
// it is given the sweep's arrays and its node's locations, not views, so
// that it can run a body graph over them, and it handles all its
// arguments in one call: forward(a, Out, In...), reverse<Active>(a, Out,
// AdjOut, type_list<In...>, type_list<AdjIn...>) and tangent<Active>(a,
// Out, In...) (which writes the node's tangent whole).
template <class Op>
concept sweep_op = requires { Op::runs_sweeps; };

// One op node as the sweeps run it. Active is a bit mask: bit I says that
// argument I reaches a seed and needs its adjoint or carries a tangent.
template <class Op, unsigned Active, class Out, class... In>
struct op_call {
  static constexpr bool is_op = true;
  static constexpr bool active = Active != 0;

  template <class A>
  static void forward(const A& a) {
    if constexpr (sweep_op<Op>)
      Op::forward(a, Out{}, In{}...);
    else
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
    if constexpr (active && sweep_op<Op>)
      Op::template reverse<Active>(a, Out{}, Out{}, type_list<In...>{}, type_list<In...>{});
    else if constexpr (active)
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
    if constexpr (active && sweep_op<Op>) {
      Op::template tangent<Active>(a, Out{}, In{}...);
    } else if constexpr (active) {
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

// A leaf's place in a list of calls: nothing to compute.
struct skip_call {
  static constexpr bool is_op = false, active = false;
  template <class A>
  static void forward(const A&) {}
  template <class A>
  static void reverse(const A&) {}
  template <class A>
  static void tangent(const A&) {}
};

// The op_call of the node at position K (skip_call for a leaf).
template <class Root, class ParamSet, class Seeds, std::size_t K, class N = type_at<K, typename Root::nodes>>
struct call_at {
  using type = skip_call;
};
template <class Root, class ParamSet, class Seeds, std::size_t K, class Op, class S, std::size_t... A>
struct call_at<Root, ParamSet, Seeds, K, op_node<Op, S, A...>> {
  using type = op_call<Op, bit_mask(std::array<bool, sizeof...(A)>{activity<Root, Seeds>::active[A]...}),
                       location_at<Root, ParamSet, K>, location_at<Root, ParamSet, A>...>;
};

// Root's nodes as calls in list order: one pack expansion over the list
// zipped with positions, so no node is looked up (an overload resolution
// over the whole list per lookup); leaves are skip_calls.
template <class Root, class ParamSet, class Seeds, class Nodes = typename Root::nodes,
          class Positions = std::make_index_sequence<list_size<Nodes>::value>>
struct forward_calls;
template <class Root, class ParamSet, class Seeds, class... N, std::size_t... K>
struct forward_calls<Root, ParamSet, Seeds, type_list<N...>, std::index_sequence<K...>> {
  using type = type_list<typename call_at<Root, ParamSet, Seeds, K, N>::type...>;
};

// Root's op nodes as op_calls, last first (the plain reverse sweep).
template <class Root, class ParamSet, class Seeds,
          class Positions = typename filter<typename Root::nodes, is_node>::index_sequence>
struct reversed_calls;
template <class Root, class ParamSet, class Seeds, std::size_t... K>
struct reversed_calls<Root, ParamSet, Seeds, std::index_sequence<K...>> {
  static constexpr std::size_t count = sizeof...(K);
  static constexpr std::array<std::size_t, count> positions{K...};
  template <class Is>
  struct build;
  template <std::size_t... I>
  struct build<std::index_sequence<I...>> {
    using type = type_list<typename call_at<Root, ParamSet, Seeds, positions[count - 1 - I]>::type...>;
  };
  using type = typename build<std::make_index_sequence<count>>::type;
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
  using calls = typename forward_calls<Root, ParamSet, seed_leaves<false, false>>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{
        (C::is_op ? observer.template forward_visit<C>() : void(), C::forward(arrays), 0)...};
  }(calls{});
}

// Adjoints of every active node. Values must be computed, slot adjoints
// zeroed and the root's adjoint seeded; parameter adjoints are added to
// whatever the parameter adjoint buffer holds.
template <class Root, class ParamSet, class Seeds, class A, class Observer = no_observer>
void reverse_sweep(const A& arrays, const Observer& observer = {}) {
  using calls = typename reversed_calls<Root, ParamSet, Seeds>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{
        (C::active ? observer.template reverse_visit<C>() : void(), C::reverse(arrays), 0)...};
  }(calls{});
}

// Values and tangents of every op node in one pass. Input values and the
// tangents of seeded inputs must be loaded first.
template <class Root, class ParamSet, class Seeds, class A, class Observer = no_observer>
void tangent_sweep(const A& arrays, const Observer& observer = {}) {
  using calls = typename forward_calls<Root, ParamSet, Seeds>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{(C::is_op ? observer.template forward_visit<C>() : void(), C::forward(arrays),
                                      C::active ? observer.template tangent_visit<C>() : void(),
                                      C::tangent(arrays), 0)...};
  }(calls{});
}

// Tangents only, over values a forward sweep already computed: the passes
// after the first when several batches of directions share one point.
template <class Root, class ParamSet, class Seeds, class A>
void tangent_only_sweep(const A& arrays) {
  using calls = typename forward_calls<Root, ParamSet, Seeds>::type;
  [&]<class... C>(type_list<C...>) {
    (void)std::initializer_list<int>{(C::tangent(arrays), 0)...};
  }(calls{});
}

}  // namespace tapeless::detail
