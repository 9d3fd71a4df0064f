#pragma once
// The compile-time DAG of an expression.
//
// `graph<Root>::nodes` lists every distinct node type reachable from Root
// (inputs, parameters and op nodes; constants need no storage) in an order
// where each node comes after its arguments. A sub-expression used k times
// appears once, so the sweeps evaluate it once and sum its k adjoint
// contributions before propagating them.
//
// The sort is a depth-first search whose state is the list built so far.
// Membership is a base-class test on a class derived from one tag per listed
// node, so a visit costs no recursion over the list. (Hana's `set` has a
// linear `contains` and its `map` rebuilds itself on `insert`; on a graph of
// a few hundred nodes both were measured slower. docs/design.md has the
// numbers.)

#include <array>
#include <utility>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {
namespace detail {

template <class List>
struct tag_set;
template <class... T>
struct tag_set<type_list<T...>> : type_tag<T>... {};

template <class List, class T>
inline constexpr bool listed = std::is_base_of_v<type_tag<T>, tag_set<List>>;

template <class E>
struct args_of {
  using type = type_list<>;
};
template <class Op, class... A>
struct args_of<node<Op, A...>> {
  using type = typename node<Op, A...>::args;
};

template <class Order, class Node, bool Skip = constant_leaf<Node> || listed<Order, Node>>
struct visit {
  using type = Order;
};

template <class Order, class Args>
struct visit_args;
template <class Order>
struct visit_args<Order, type_list<>> {
  using type = Order;
};
template <class Order, class A, class... Rest>
struct visit_args<Order, type_list<A, Rest...>> : visit_args<typename visit<Order, A>::type, type_list<Rest...>> {};

template <class Order, class Node>
struct visit<Order, Node, false> {
  using type = typename push_back<typename visit_args<Order, typename args_of<Node>::type>::type, Node>::type;
};

template <class E>
struct leaf_name {
  static constexpr std::string_view value{};
};
template <class N, class S>
struct leaf_name<input_t<N, S>> {
  static constexpr std::string_view value = N::view();
};
template <class N, class S>
struct leaf_name<param_t<N, S>> {
  static constexpr std::string_view value = N::view();
};

// Finds the leaf called Name among a list's leaves by overload resolution
// (on non-template functions, so only type identity is compared); two
// different leaves with one name make the call ambiguous.
template <class Leaf>
struct name_entry {
  static Leaf by_name(type_tag<typename Leaf::name>*);
};
template <class Leaves>
struct name_table;
template <class... L>
struct name_table<type_list<L...>> : name_entry<L>... {
  using name_entry<L>::by_name...;
};

template <class Name, class Leaves>
concept unique_name = requires { name_table<Leaves>::by_name(static_cast<type_tag<Name>*>(nullptr)); };

// The first leaf whose name another leaf also has, or void.
template <class Leaves>
struct name_clash;
template <class... L>
struct name_clash<type_list<L...>> {
  static constexpr std::size_t first =
      first_false(std::array<bool, sizeof...(L)>{unique_name<typename L::name, type_list<L...>>...});
  static constexpr bool found = first < sizeof...(L);
};

template <class Name, class Leaves>
struct leaves_share_a_name : std::false_type {};

// Instantiates the report (whose template arguments name the leaf and the
// list of leaves) only when there is a clash to report.
template <class Leaves, class Clash, bool Found = Clash::found>
struct name_clash_free : std::true_type {};
template <class Leaves, class Clash>
struct name_clash_free<Leaves, Clash, true>
    : leaves_share_a_name<typename type_at<Clash::first, Leaves>::name, Leaves> {};

template <class Name>
struct named {
  template <class Leaf>
  struct is : std::is_same<typename Leaf::name, Name> {};
};

template <class Name>
struct no_leaf_named : std::false_type {};

// The leaf called Name, or `void` after a static_assert saying there is none.
template <class Leaves, class Name, class Found = filter_t<Leaves, named<Name>::template is>>
struct leaf_named {
  static_assert(no_leaf_named<Name>::value,
                "tapeless: get<name>(): this buffer has no leaf of that name (the name is the template argument above)");
  using type = void;
};
template <class Leaves, class Name, class Leaf>
struct leaf_named<Leaves, Name, type_list<Leaf>> {
  using type = Leaf;
};

// Leaves in the order of their first use: by the topological position of the
// first op that reads them, then by argument position. For an MLP this is
// layer order (W1, b1, W2, b2, ...), whatever order the search visited them.
inline constexpr std::size_t max_op_args = 16;
inline constexpr std::size_t not_a_leaf = static_cast<std::size_t>(-1);

template <class A, class Leaves, bool = list_contains<A, Leaves>>
struct leaf_index_or_none {
  static constexpr std::size_t value = not_a_leaf;
};
template <class A, class Leaves>
struct leaf_index_or_none<A, Leaves, true> {
  static constexpr std::size_t value = index_of<A, Leaves>;
};

template <std::size_t K>
constexpr std::array<std::size_t, max_op_args> pad_with_not_a_leaf(const std::array<std::size_t, K>& found) {
  std::array<std::size_t, max_op_args> out{};
  out.fill(not_a_leaf);
  for (std::size_t i = 0; i < K; ++i) out[i] = found[i];
  return out;
}

// For each argument of node N, its index among Leaves (or not_a_leaf).
template <class N, class Leaves, class Args = typename args_of<N>::type>
struct arg_leaf_indices;
template <class N, class Leaves, class... A>
struct arg_leaf_indices<N, Leaves, type_list<A...>> {
  static_assert(sizeof...(A) <= max_op_args, "tapeless: an op has more arguments than the library supports");
  static constexpr std::array<std::size_t, max_op_args> value =
      pad_with_not_a_leaf(std::array<std::size_t, sizeof...(A)>{leaf_index_or_none<A, Leaves>::value...});
};

// key[l] = position of the first use of leaf l: node index * max_op_args +
// argument position.
template <std::size_t LeafCount, std::size_t NodeCount>
constexpr std::array<std::size_t, LeafCount + 1> first_use_keys(
    const std::array<std::array<std::size_t, max_op_args>, NodeCount>& arg_leaves) {
  std::array<std::size_t, LeafCount + 1> key{};
  key.fill(not_a_leaf);
  for (std::size_t n = 0; n < NodeCount; ++n)
    for (std::size_t a = 0; a < max_op_args; ++a) {
      const std::size_t leaf = arg_leaves[n][a];
      if (leaf != not_a_leaf && n * max_op_args + a < key[leaf]) key[leaf] = n * max_op_args + a;
    }
  return key;
}

// 0, 1, ..., n-1 stably sorted by key.
template <std::size_t M>
constexpr std::array<std::size_t, M> order_by(const std::array<std::size_t, M>& key) {
  std::array<std::size_t, M> out{};
  for (std::size_t i = 0; i < M; ++i) out[i] = i;
  for (std::size_t i = 1; i + 1 < M; ++i)
    for (std::size_t j = i; j > 0 && key[out[j - 1]] > key[out[j]]; --j) {
      const std::size_t t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return out;
}

template <class Nodes, class Leaves>
struct first_use_order;
template <class... N, class... L>
struct first_use_order<type_list<N...>, type_list<L...>> {
  static constexpr auto order = order_by(first_use_keys<sizeof...(L)>(
      std::array<std::array<std::size_t, max_op_args>, sizeof...(N)>{arg_leaf_indices<N, type_list<L...>>::value...}));

  template <class Indices>
  struct pick;
  template <std::size_t... I>
  struct pick<std::index_sequence<I...>> {
    using type = type_list<type_at<order[I], type_list<L...>>...>;
  };
  using type = typename pick<std::make_index_sequence<sizeof...(L)>>::type;
};

template <class E>
struct is_leaf : std::bool_constant<is_input<E>::value || is_param<E>::value> {};
}  // namespace detail

template <class Root>
struct graph {
  static_assert(expression<Root>, "tapeless: graph<Root> needs an expression type");

  // decltype of a constexpr expression variable is const-qualified.
  using root = std::remove_cvref_t<Root>;
  using nodes = typename detail::visit<detail::type_list<>, root>::type;
  // Parameters and inputs in order of first use.
  using params = typename detail::first_use_order<nodes, detail::filter_t<nodes, detail::is_param>>::type;
  using inputs = typename detail::first_use_order<nodes, detail::filter_t<nodes, detail::is_input>>::type;
  using leaves = detail::filter_t<nodes, detail::is_leaf>;

  static constexpr std::size_t node_count = nodes::size;

  template <class N>
  static constexpr std::size_t index_of = detail::index_of<N, nodes>;

  template <class Name>
  using input_named = typename detail::leaf_named<inputs, Name>::type;

 private:
  static_assert(detail::name_clash_free<leaves, detail::name_clash<leaves>>::value,
                "tapeless: two leaves of the expression share a name but differ in kind or shape "
                "(the name and the expression's leaves are the template arguments above)");
};

}  // namespace tapeless
