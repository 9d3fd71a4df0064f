#pragma once
// Where the adjoints live in a batch sweep: a compact layout planned at
// compile time from the graph.
//
// The plain layout gives every node an adjoint slot of its own, for the
// whole sweep. Over a chunk of samples that doubles the workspace for
// adjoints that are each alive only briefly: node k's adjoint receives its
// first contribution when the reverse sweep reaches k's last use and is
// finished with once k's own VJPs have run. This plan walks the node list
// backwards as the reverse sweep does and
//  - gives adjoint memory only to active nodes (those that reach a seed),
//    when their first contribution arrives, reusing memory freed by nodes
//    already propagated (first fit), and zeroes it at that point, not all
//    at once before the sweep;
//  - lets an argument whose only use is an op with an identity VJP
//    (ā += ȳ, ops/family.hpp: identity_vjp) take over the result's
//    adjoint memory instead of receiving a copy: the residual `h + f(h)`'s
//    f-branch, and `W x + b`'s product, cost no pass at all;
//  - keeps the adjoints of seeded inputs alive to the end (the caller
//    reads them).
// On an MLP or a residual stack only a few adjoints are alive at a time,
// so the workspace is close to the values' alone.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/merge.hpp>
#include <tapeless/core/type_list.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless::detail {

// Per node: what the plan needs to know.
struct plan_node {
  bool slot = false;          // an input or an op node (owns workspace)
  bool active = false;        // reaches a seed: has an adjoint
  bool seeded_input = false;  // its adjoint is read after the sweep
  std::size_t size = 0;       // numbers in its slot
  node_args args{};
  std::array<bool, max_op_args> identity{};  // VJP to argument a is ā += ȳ, if the shapes agree
  shape_code shape{};
};

template <std::size_t N>
struct adjoint_plan_data {
  std::array<std::size_t, N> offset{};
  // Before node p's VJPs run: the adjoints to zero (first contribution
  // arrives now) and the arguments whose adjoint is p's own (skipped).
  std::array<std::array<std::size_t, max_op_args>, N> zero{};
  std::array<std::size_t, N> zero_count{};
  std::array<unsigned, N> shared_mask{};
  // Bit a of vjp_mask[p]: p's VJP to argument a runs (p and its argument
  // are active, and the argument does not share p's adjoint).
  std::array<unsigned, N> vjp_mask{};
  std::size_t size = 0;  // numbers in the adjoint array
};

template <std::size_t N>
constexpr adjoint_plan_data<N> plan_adjoints(const std::array<plan_node, N>& nodes) {
  adjoint_plan_data<N> plan;
  std::array<std::size_t, N> uses{}, last_use{};
  for (std::size_t u = 0; u < N; ++u)
    for (std::size_t a = 0; a < nodes[u].args.count; ++a) {
      const std::size_t k = nodes[u].args.index[a];
      ++uses[k];
      last_use[k] = u;
    }
  // Live blocks: [begin, begin + size) held by node `owner`, the first
  // `live` entries of `blocks` (a compact list: a few are alive at a time,
  // and scanning one entry per node instead made the plan O(n³) steps of
  // constant evaluation, minutes for a graph of 800 nodes).
  struct block {
    std::size_t begin = 0, size = 0, owner = 0;
  };
  std::array<block, N> blocks{};
  std::size_t live = 0;
  auto overlaps = [&](std::size_t begin, std::size_t size) {
    for (std::size_t i = 0; i < live; ++i)
      if (begin < blocks[i].begin + blocks[i].size && blocks[i].begin < begin + size) return true;
    return false;
  };
  auto allocate = [&](std::size_t k) {
    std::size_t best = overlaps(0, nodes[k].size) ? std::size_t(-1) : 0;
    for (std::size_t i = 0; i < live; ++i) {
      const std::size_t end = blocks[i].begin + blocks[i].size;
      if (end < best && !overlaps(end, nodes[k].size)) best = end;
    }
    blocks[live++] = block{best, nodes[k].size, k};
    plan.offset[k] = best;
    if (best + nodes[k].size > plan.size) plan.size = best + nodes[k].size;
  };
  auto hand_over = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = 0; i < live; ++i)
      if (blocks[i].owner == from) blocks[i].owner = to;
  };
  auto release = [&](std::size_t owner) {
    for (std::size_t i = 0; i < live;)
      if (blocks[i].owner == owner)
        blocks[i] = blocks[--live];
      else
        ++i;
  };
  auto needs = [&](std::size_t k) { return nodes[k].slot && nodes[k].active; };

  const std::size_t root = N - 1;
  if (needs(root)) allocate(root);
  for (std::size_t p = N; p-- > 0;) {
    if (!needs(p)) continue;
    // At most one argument takes over p's block: a block has one owner,
    // and freeing it when the owner is done would leave a second taker
    // (`f + g` with f and g each used once) reading memory handed out
    // again.
    bool taken_over = false;
    for (std::size_t a = 0; a < nodes[p].args.count; ++a) {
      const std::size_t k = nodes[p].args.index[a];
      if (!needs(k) || last_use[k] != p) continue;
      bool seen = false;  // the same argument twice: one slot
      for (std::size_t b = 0; b < a; ++b) seen = seen || nodes[p].args.index[b] == k;
      if (seen) continue;
      if (!taken_over && uses[k] == 1 && nodes[p].identity[a] && nodes[k].shape == nodes[p].shape &&
          !nodes[k].seeded_input && nodes[k].size == nodes[p].size) {
        taken_over = true;
        // k's adjoint is p's: take over p's block (not when k needs more
        // room than p's value: a loop node's adjoint scratch).
        plan.offset[k] = plan.offset[p];
        plan.shared_mask[p] |= 1u << a;
        hand_over(p, k);
      } else {
        allocate(k);
        plan.zero[p][plan.zero_count[p]++] = k;
      }
    }
    // p's VJPs have run: its adjoint is done with, unless an argument took
    // it over or the caller reads it.
    if (!nodes[p].seeded_input) release(p);
  }
  for (std::size_t p = 0; p < N; ++p)
    if (nodes[p].active)
      for (std::size_t a = 0; a < nodes[p].args.count; ++a)
        if (nodes[nodes[p].args.index[a]].active && !((plan.shared_mask[p] >> a) & 1u)) plan.vjp_mask[p] |= 1u << a;
  return plan;
}

// Which arguments of node N its VJP passes on unchanged when the shapes
// agree (plan_adjoints compares them). Keyed on the node, not on the
// graph: see core/merge.hpp, list_structure.
template <class N>
struct identity_args {
  static constexpr std::array<bool, max_op_args> value{};
};
template <class Op, class S, std::size_t... A>
struct identity_args<op_node<Op, S, A...>> {
  static constexpr std::array<bool, max_op_args> value = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<bool, max_op_args>{identity_vjp<Op, I>()...};
  }(std::make_index_sequence<sizeof...(A)>{});
};

// The plan of Root's adjoints for a sweep seeded at Seeds.
template <class Root, class Seeds, class Nodes = typename Root::nodes,
          class Positions = std::make_index_sequence<Nodes::size>>
struct adjoint_plan;
template <class Root, class Seeds, class... N, std::size_t... K>
struct adjoint_plan<Root, Seeds, type_list<N...>, std::index_sequence<K...>> {
  static constexpr auto& active = activity<Root, Seeds>::active;
  static constexpr adjoint_plan_data<sizeof...(N)> data = plan_adjoints(std::array<plan_node, sizeof...(N)>{
      plan_node{input_leaf<N> || op_node_type<N>, active[K], input_leaf<N> && Seeds::template seeded<N>,
                (input_leaf<N> || op_node_type<N>) ? N::shape::size + node_scratch<N>::adjoints : 0, node_traits<N>::args,
                identity_args<N>::value, code_of_shape<typename N::shape>()}...});
};

// Adjoint memory in the planned layout.
template <std::size_t Offset, class Shape>
struct adjoint_location {};

template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
tensor_view<T, S> adjoint_view(const sweep_arrays<T, E, PA, V, PT>& a, adjoint_location<O, S>) {
  return tensor_view<T, S>(a.adjoints + O);
}

// The adjoint location of node K: planned for workspace nodes, unchanged
// for parameters (the parameter-adjoint buffer) and constants.
template <class Root, class ParamSet, class Seeds, std::size_t K,
          bool Slot = location_codes<Root, ParamSet>::value[K].kind == location_kind::slot>
struct planned_location {
  using type = location_at<Root, ParamSet, K>;
};
template <class Root, class ParamSet, class Seeds, std::size_t K>
struct planned_location<Root, ParamSet, Seeds, K, true> {
  using type = adjoint_location<adjoint_plan<Root, Seeds>::data.offset[K], shape_in<location_codes<Root, ParamSet>, K>>;
};
template <class Root, class ParamSet, class Seeds, std::size_t K>
using planned_at = typename planned_location<Root, ParamSet, Seeds, K>::type;

// One op node's reverse step in the planned layout: zero the adjoints
// whose first contribution arrives now, then the VJPs of the active
// arguments that do not share this node's adjoint.
template <class Op, unsigned Active, class Out, class Ins, class AdjOut, class AdjIns, class Zero>
struct planned_reverse_call;
template <class Op, unsigned Active, class Out, class... In, class AdjOut, class... AdjIn, class... Zero>
struct planned_reverse_call<Op, Active, Out, type_list<In...>, AdjOut, type_list<AdjIn...>, type_list<Zero...>> {
  template <std::size_t I, class A>
  static void pull_back(const A& a) {
    if constexpr ((Active >> I) & 1u)
      rules<Op>::vjp(arg<I>, adjoint_view(a, type_at<I, type_list<AdjIn...>>{}), adjoint_view(a, AdjOut{}),
                     value_view(a, In{})..., value_view(a, Out{}));
  }
  template <class Z, class A>
  static void clear(const A& a) {
    for (auto& t : adjoint_view(a, Z{})) t = zero_like(t);
  }
  template <class A, std::size_t... I>
  static void pull_backs(const A& a, std::index_sequence<I...>) {
    if constexpr (sweep_op<Op>) {
      if constexpr (Active != 0) Op::template reverse<Active>(a, Out{}, AdjOut{}, type_list<In...>{}, type_list<AdjIn...>{});
    } else {
      (pull_back<I>(a), ...);
    }
  }
  template <class A>
  static void reverse(const A& a) {
    (clear<Zero>(a), ...);
    pull_backs(a, std::index_sequence_for<In...>{});
  }
};

template <class Root, class ParamSet, class Seeds, std::size_t K, class Is>
struct zero_list;
template <class Root, class ParamSet, class Seeds, std::size_t K, std::size_t... Z>
struct zero_list<Root, ParamSet, Seeds, K, std::index_sequence<Z...>> {
  using type = type_list<planned_at<Root, ParamSet, Seeds, adjoint_plan<Root, Seeds>::data.zero[K][Z]>...>;
};

template <class Root, class ParamSet, class Seeds, std::size_t K, class N = type_at<K, typename Root::nodes>>
struct planned_call_at;
template <class Root, class ParamSet, class Seeds, std::size_t K, class Op, class S, std::size_t... A>
struct planned_call_at<Root, ParamSet, Seeds, K, op_node<Op, S, A...>> {
  using plan = adjoint_plan<Root, Seeds>;
  using type = planned_reverse_call<
      Op, plan::data.vjp_mask[K],
      location_at<Root, ParamSet, K>, type_list<location_at<Root, ParamSet, A>...>,
      planned_at<Root, ParamSet, Seeds, K>, type_list<planned_at<Root, ParamSet, Seeds, A>...>,
      typename zero_list<Root, ParamSet, Seeds, K, std::make_index_sequence<plan::data.zero_count[K]>>::type>;
};

// The reverse sweep in the planned layout (values as usual). Before it,
// the caller writes the root's seed into its planned adjoint location (no
// other adjoint needs clearing); parameter adjoints are added to.
template <class Root, class ParamSet, class Seeds,
          class Positions = typename filter<typename Root::nodes, is_node>::index_sequence>
struct planned_reverse;
template <class Root, class ParamSet, class Seeds, std::size_t... K>
struct planned_reverse<Root, ParamSet, Seeds, std::index_sequence<K...>> {
  static constexpr std::size_t count = sizeof...(K);
  static constexpr std::array<std::size_t, count> at{K...};
  template <class A, std::size_t... I>
  static void run(const A& arrays, std::index_sequence<I...>) {
    (void)std::initializer_list<int>{
        (planned_call_at<Root, ParamSet, Seeds, at[count - 1 - I]>::type::reverse(arrays), 0)...};
  }
};

template <class Root, class ParamSet, class Seeds, class A>
void planned_reverse_sweep(const A& arrays) {
  using sweep = planned_reverse<Root, ParamSet, Seeds>;
  sweep::run(arrays, std::make_index_sequence<sweep::count>{});
}

// Where the root's adjoint is in the planned layout.
template <class Root, class ParamSet, class Seeds>
using planned_root_location = planned_at<Root, ParamSet, Seeds, Root::size - 1>;

}  // namespace tapeless::detail
