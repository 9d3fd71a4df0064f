#pragma once
// What the sweeps need to know about an expression's graph.
//
// The node list of `expr<N...>` is already the graph's distinct nodes in
// topological order (core/merge.hpp builds it that way), so a node used k
// times appears once: the sweeps evaluate it once and sum its k adjoint
// contributions before propagating them. This header derives the rest:
// the parameters and inputs in order of first use, and the checks that
// leaves with one name agree.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/merge.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {
namespace detail {

template <class N>
struct is_leaf : std::bool_constant<is_input<N>::value || is_param<N>::value> {};

// ---- finding leaves by name ----------------------------------------------

template <class Name>
struct named {
  template <class Leaf>
  struct is : std::is_same<typename Leaf::name, Name> {};
};

template <class Name>
struct no_leaf_named {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};

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

// Finds the leaf called Name by overload resolution on non-template
// functions (only type identity is compared); two different leaves with one
// name make the call ambiguous.
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

// The first leaf whose name another leaf also has.
template <class Leaves>
struct name_clash;
template <class... L>
struct name_clash<type_list<L...>> {
  static constexpr std::size_t first =
      first_false(std::array<bool, sizeof...(L)>{unique_name<typename L::name, type_list<L...>>...});
  static constexpr bool found = first < sizeof...(L);
};

template <class Name, class Leaves>
struct leaves_share_a_name {
  static constexpr bool value = false;
};

// Instantiates the report (whose template arguments are the name and the
// list of leaves) only when there is a clash to report.
template <class Leaves, class Clash, bool Found = Clash::found>
struct name_clash_free : std::true_type {};
template <class Leaves, class Clash>
struct name_clash_free<Leaves, Clash, true>
    : leaves_share_a_name<typename type_at<Clash::first, Leaves>::name, Leaves> {};

// ---- first-use order -----------------------------------------------------

inline constexpr std::size_t never_used = static_cast<std::size_t>(-1);

// key[k] = when node k is first read: the position of the first op node that
// reads it, times max_op_args, plus the argument position.
template <std::size_t N>
constexpr std::array<std::size_t, N> first_use_keys(const std::array<node_args, N>& args) {
  std::array<std::size_t, N> key{};
  key.fill(never_used);
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t a = 0; a < args[k].count; ++a) {
      std::size_t& first = key[args[k].index[a]];
      if (k * max_op_args + a < first) first = k * max_op_args + a;
    }
  return key;
}

// The positions (in the node list) of the nodes with `keep` set, ordered by
// first use; ties (a leaf read by nothing: the root) keep list order.
template <std::size_t Count, std::size_t N>
constexpr std::array<std::size_t, Count + 1> by_first_use(const std::array<bool, N>& keep,
                                                          const std::array<std::size_t, N>& key) {
  std::array<std::size_t, Count + 1> out = true_positions<Count>(keep);
  // std::stable_sort is not constexpr; ordering by (key, position) is the same.
  std::sort(out.begin(), out.begin() + Count,
            [&](std::size_t a, std::size_t b) { return key[a] < key[b] || (key[a] == key[b] && a < b); });
  return out;
}

template <class Root, template <class> class Kind, class Nodes = typename Root::nodes>
struct leaves_in_first_use_order;
template <class Root, template <class> class Kind, class... N>
struct leaves_in_first_use_order<Root, Kind, type_list<N...>> {
  static constexpr std::array<bool, sizeof...(N)> keep{Kind<N>::value...};
  static constexpr std::size_t count = count_true(keep);
  static constexpr auto order = by_first_use<count>(keep, first_use_keys(graph_args<type_list<N...>>::args));

  template <class Indices>
  struct pick;
  template <std::size_t... I>
  struct pick<std::index_sequence<I...>> {
    using type = type_list<type_at<order[I], type_list<N...>>...>;
  };
  using type = typename pick<std::make_index_sequence<count>>::type;
};

}  // namespace detail

template <class Root>
struct graph {
  static_assert(expression<Root>, "tapeless: graph<Root> needs an expression type");

  // decltype of a constexpr expression variable is const-qualified.
  using root = std::remove_cvref_t<Root>;
  using nodes = typename root::nodes;

  // Parameters and inputs in order of first use: for an MLP, layer order
  // (W1, b1, W2, b2, ...) whichever operand of each op was written first.
  using params = typename detail::leaves_in_first_use_order<root, detail::is_param>::type;
  using inputs = typename detail::leaves_in_first_use_order<root, detail::is_input>::type;
  using leaves = detail::filter_t<nodes, detail::is_leaf>;

  // Distinct nodes after sharing, constants (which have no storage) aside.
  static constexpr std::size_t node_count = root::size - detail::filter_t<nodes, detail::is_constant>::size;

  template <class Name>
  using input_named = typename detail::leaf_named<inputs, Name>::type;

 private:
  static_assert(detail::name_clash_free<leaves, detail::name_clash<leaves>>::value,
                "tapeless: two leaves of the expression share a name but differ in kind or shape "
                "(the name and the expression's leaves are the template arguments above)");
};

}  // namespace tapeless
