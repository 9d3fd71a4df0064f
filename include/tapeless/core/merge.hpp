#pragma once
// Building graphs: the node list of `a + b` is a's list, then the nodes of
// b's list that a's does not already have, then the new node.
//
// Which of b's nodes a already has is decided by structure: each node gets
// a 128-bit hash (two independent 64-bit hashes) of its kind (leaf type, or
// op and shape) and of its arguments' hashes, so equal sub-expressions have
// equal hashes wherever they sit in a list. b's hashes are looked up among
// a's (by a scan when b has a few nodes, through a hash table of a
// otherwise), so a merge costs O(n + m) steps of constant evaluation.
// Looking nodes up by type instead costs an overload resolution over the
// whole list per node, which made a 32-block residual stack take minutes
// to compile.
//
// A hash hit is only a candidate. It is confirmed exactly: the two nodes
// must have the same kind, compared by identity (the address of a variable
// that exists once per kind type, not a hash or a spelling), and their
// arguments must be the same nodes (positions in the merged list, whose
// own hits were confirmed before them). Two different nodes with equal
// hashes, in one graph or across a merge, stop compilation with a message;
// they are never merged into one. (Confirming by comparing whole node
// types through a's lookup table instead made a 64-block residual stack
// take 6 times as long to compile.)

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless::detail {

inline constexpr std::size_t max_op_args = 8;

// A node's kind, for hashing: an op node without its argument positions.
template <class Op, class Shape>
struct op_kind {};

template <class T>
constexpr std::string_view pretty_name() {
  return __PRETTY_FUNCTION__;  // spells T; only compared within one compilation
}

struct hash128 {
  std::uint64_t a = 0, b = 0;
  friend constexpr bool operator==(hash128, hash128) = default;
};

// FNV-1a (64-bit prime), and a second pass with another basis, another odd
// multiplier (the golden-ratio constant) and an added constant.
constexpr hash128 hash_text(std::string_view text) {
  hash128 h{0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  for (char c : text) {
    h.a = (h.a ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    h.b = (h.b ^ static_cast<unsigned char>(c)) * 0x9e3779b97f4a7c15ull + 0xc2b2ae3d27d4eb4full;
  }
  return h;
}

constexpr std::uint64_t splitmix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Order-dependent combination of h with v.
constexpr hash128 mix(hash128 h, hash128 v) {
  return {splitmix(h.a + 0x9e3779b97f4a7c15ull * (v.a + 1)) ^ (h.a << 1),
          splitmix(h.b ^ (0xc2b2ae3d27d4eb4full + v.b * 0x165667b19e3779f9ull)) + (h.b >> 3)};
}

struct node_args {
  std::size_t count = 0;
  std::array<std::size_t, max_op_args> index{};
};

// Computed once per kind, not once per node of that kind.
template <class Kind>
inline constexpr hash128 kind_hash = hash_text(pretty_name<Kind>());

template <class N>
struct node_traits {
  static constexpr hash128 kind = kind_hash<N>;
  static constexpr node_args args{};
};
template <class Op, class S, std::size_t... A>
struct node_traits<op_node<Op, S, A...>> {
  static_assert(sizeof...(A) <= max_op_args, "tapeless: an op has more arguments than the library supports");
  static constexpr hash128 kind = kind_hash<op_kind<Op, S>>;
  static constexpr node_args args{sizeof...(A), {A...}};
};

// A kind's identity: one variable per kind type, so two kinds have the
// same address exactly when they are the same type.
template <class Kind>
inline constexpr char kind_tag = 0;
template <class N>
inline constexpr const void* kind_identity = &kind_tag<N>;
template <class Op, class S, std::size_t... A>
inline constexpr const void* kind_identity<op_node<Op, S, A...>> = &kind_tag<op_kind<Op, S>>;

// Whether two kind identities are the same. Equal addresses always compare
// equal in a constant expression; g++ 12 refuses to compare different ones
// when it keeps null-pointer checks (-fsanitize=undefined or =null,
// -fno-delete-null-pointer-checks: an inline variable might be null to it),
// so a comparison it cannot fold means two different kinds.
constexpr bool same_kind(const void* x, const void* y) {
#if defined(__GNUC__) && !defined(__clang__)
  if (!__builtin_constant_p(x == y)) return false;
#endif
  return x == y;
}

template <std::size_t N>
constexpr std::array<hash128, N> structural_hashes(const std::array<hash128, N>& kinds,
                                                   const std::array<node_args, N>& args) {
  std::array<hash128, N> h{};
  for (std::size_t k = 0; k < N; ++k) {
    h[k] = mix(kinds[k], hash128{args[k].count, args[k].count});
    for (std::size_t a = 0; a < args[k].count; ++a) h[k] = mix(h[k], h[args[k].index[a]]);
  }
  return h;
}

inline constexpr std::size_t not_found = static_cast<std::size_t>(-1);

// An open-addressing table from hash to position: O(1) lookups at compile
// time, built in one pass (a sort would cost O(n log n) comparisons of
// 128-bit keys in the compiler's constant evaluator). A slot holds a
// position only; the key is that node's entry in the list's hash array,
// passed to find.
template <std::size_t N>
struct hash_table {
  static constexpr std::size_t capacity = [] {
    std::size_t c = 4;
    while (c < 2 * N) c *= 2;
    return c;
  }();
  std::array<std::size_t, capacity> index{};

  constexpr hash_table() { index.fill(not_found); }

  constexpr std::size_t find(hash128 h, const std::array<hash128, N>& keys) const {
    for (std::size_t slot = h.a & (capacity - 1);; slot = (slot + 1) & (capacity - 1)) {
      if (index[slot] == not_found) return not_found;
      if (keys[index[slot]] == h) return index[slot];
    }
  }
  constexpr void insert(const std::array<hash128, N>& keys, std::size_t k) {
    std::size_t slot = keys[k].a & (capacity - 1);
    while (index[slot] != not_found) slot = (slot + 1) & (capacity - 1);
    index[slot] = k;
  }
};

// The argument positions of every node of a list (the sweeps' and the
// adjoint plan's view of a finished graph).
template <class Nodes>
struct graph_args;
template <class... N>
struct graph_args<type_list<N...>> {
  static constexpr std::array<node_args, sizeof...(N)> args{node_traits<N>::args...};
};

// A node list's kinds, kind identities and arguments, built where a merge
// needs them. Intermediate graphs keep no tables of their own: every
// static variable of a class template named after a node list is a
// symbol whose mangled name spells the list, and g++ mangles each of them
// even when it is only read at compile time, which made the tables of a
// deep graph's intermediate lists cost more than computing them.
template <std::size_t N>
struct list_structure {
  std::array<hash128, N> kinds;
  std::array<const void*, N> ids;
  std::array<node_args, N> args;
};

// Where each node of b goes in the merged list, and which are new.
template <std::size_t M>
struct merge_plan {
  std::array<std::size_t, M> position{};  // in the merged list
  std::array<std::size_t, M> added{};     // positions in b of the new nodes
  std::size_t added_count = 0;
  bool collision = false;  // two different nodes with the same hash
};

// Merging a few nodes (a new leaf, `W * h` for a new W) into a: each is
// looked for by scanning a for the same kind with the same arguments (an
// exact comparison: no hashes are computed, and a's nodes are distinct, so
// at most one matches). O(n) per node of b, with no tables.
template <std::size_t N, std::size_t M>
constexpr merge_plan<M> plan_small_merge(const std::array<const void*, N>& a_ids,
                                         const std::array<node_args, N>& a_args,
                                         const std::array<const void*, M>& b_ids,
                                         const std::array<node_args, M>& b_args) {
  merge_plan<M> plan;
  for (std::size_t j = 0; j < M; ++j) {
    const node_args& y = b_args[j];
    bool args_in_a = true;  // an argument new to a makes the node new too
    for (std::size_t k = 0; k < y.count; ++k) args_in_a = args_in_a && plan.position[y.index[k]] < N;
    std::size_t found = not_found;
    for (std::size_t i = 0; args_in_a && i < N && found == not_found; ++i) {
      const node_args& x = a_args[i];
      bool same = x.count == y.count;
      for (std::size_t k = 0; same && k < x.count; ++k) same = x.index[k] == plan.position[y.index[k]];
      // Kinds last: a call per comparison is what costs in the compiler.
      if (same && same_kind(a_ids[i], b_ids[j])) found = i;
    }
    if (found != not_found) {
      plan.position[j] = found;
    } else {
      plan.position[j] = N + plan.added_count;
      plan.added[plan.added_count++] = j;
    }
  }
  return plan;
}

// Merging many nodes of b into a: b's structural hashes are looked up in a
// hash table of a's, built once for the merge, and every hit is confirmed.
template <std::size_t N, std::size_t M>
constexpr merge_plan<M> plan_merge(const list_structure<N>& a, const list_structure<M>& b) {
  const std::array<hash128, N> a_hashes = structural_hashes(a.kinds, a.args);
  const std::array<hash128, M> b_hashes = structural_hashes(b.kinds, b.args);
  hash_table<N> table;
  for (std::size_t k = 0; k < N; ++k) table.insert(a_hashes, k);
  merge_plan<M> plan;
  for (std::size_t j = 0; j < M; ++j) {
    const std::size_t found = table.find(b_hashes[j], a_hashes);
    if (found != not_found) {
      // The same node: same kind, same argument nodes (b's arguments come
      // before j, so their positions in the merged list are known).
      const node_args& x = a.args[found];
      const node_args& y = b.args[j];
      bool same = same_kind(a.ids[found], b.ids[j]) && x.count == y.count;
      for (std::size_t k = 0; same && k < x.count; ++k) same = x.index[k] == plan.position[y.index[k]];
      plan.collision = plan.collision || !same;
      plan.position[j] = found;
    } else {
      plan.position[j] = N + plan.added_count;
      plan.added[plan.added_count++] = j;
    }
  }
  return plan;
}

// The merge plan of node list B into node list A.
inline constexpr std::size_t small_merge = 4;
template <class A, class B, bool Small = (list_size<B>::value <= small_merge)>
struct merge_positions;
template <class... A, class... B>
struct merge_positions<type_list<A...>, type_list<B...>, true> {
  static constexpr merge_plan<sizeof...(B)> plan =
      plan_small_merge(std::array<const void*, sizeof...(A)>{kind_identity<A>...},
                       std::array<node_args, sizeof...(A)>{node_traits<A>::args...},
                       std::array<const void*, sizeof...(B)>{kind_identity<B>...},
                       std::array<node_args, sizeof...(B)>{node_traits<B>::args...});
};
template <class... A, class... B>
struct merge_positions<type_list<A...>, type_list<B...>, false> {
  static constexpr merge_plan<sizeof...(B)> plan = plan_merge(
      list_structure<sizeof...(A)>{{node_traits<A>::kind...}, {kind_identity<A>...}, {node_traits<A>::args...}},
      list_structure<sizeof...(B)>{{node_traits<B>::kind...}, {kind_identity<B>...}, {node_traits<B>::args...}});
  static_assert(!plan.collision,
                "tapeless: two different nodes have the same 128-bit structural hash, so the graph cannot be "
                "built; please report this expression");
};

// Node re-indexed through a position map.
template <class Node, class Map>
struct reindexed {
  using type = Node;
};
template <class Op, class S, std::size_t... A, class Map>
struct reindexed<op_node<Op, S, A...>, Map> {
  using type = op_node<Op, S, Map::plan.position[A]...>;
};

template <class Node, class Map>
using reindexed_t = typename reindexed<Node, Map>::type;

// The node list of a followed by b's nodes that a does not have.
template <class A, class B>
struct merge;
template <class... A, class... B>
struct merge<type_list<A...>, type_list<B...>> {
  using positions = merge_positions<type_list<A...>, type_list<B...>>;

  template <class Added>
  struct build;
  template <std::size_t... K>
  struct build<std::index_sequence<K...>> {
    using type = type_list<A..., reindexed_t<type_at<positions::plan.added[K], type_list<B...>>, positions>...>;
  };
  using type = typename build<std::make_index_sequence<positions::plan.added_count>>::type;

  // Where b's value (its last node) is in the merged list (a type, not a
  // static variable: see list_structure).
  using b_root = std::integral_constant<std::size_t, positions::plan.position[sizeof...(B) - 1]>;
};

// The number of nodes of expression E (see list_size).
template <class E>
using expr_size = list_size<typename E::nodes>;

// The expression whose value is Node, computed after the nodes of List.
template <class Node, class List>
struct with_root;
template <class Node, class... N>
struct with_root<Node, type_list<N...>> {
  using type = expr<Node, N...>;
};

// The expression Op(args...): the merged lists of the arguments, then the
// op node reading the arguments' values.
template <class Op, class Shape, class... Args>
struct apply_op;
template <class Op, class Shape, class A>
struct apply_op<Op, Shape, A> {
  using type = typename with_root<op_node<Op, Shape, expr_size<A>::value - 1>, typename A::nodes>::type;
};
// Whether the node list Short is where Long starts: then Long holds every
// node of Short at the same position. One template argument deduction (the
// leading types compared for identity), no hash tables: `h + f(h)`, whose
// f(h) was built by extending h's list, merges for free.
template <class Short>
struct prefix_of;
template <class... S>
struct prefix_of<type_list<S...>> {
  template <class... Rest>
  static std::true_type starts(type_list<S..., Rest...>*);
  static std::false_type starts(...);
};
template <class Short, class Long>
concept is_prefix = decltype(prefix_of<Short>::starts(static_cast<Long*>(nullptr)))::value;

// The smaller list is merged into the larger, so the work of `h + f(h)`,
// where f(h)'s list already holds h's, is proportional to what is new.
template <class Large, class Small, bool Prefix = is_prefix<typename Small::nodes, typename Large::nodes>>
struct merged_operands {
  using merged = merge<typename Large::nodes, typename Small::nodes>;
  using nodes = typename merged::type;
  using small_root = typename merged::b_root;
};
template <class Large, class Small>
struct merged_operands<Large, Small, true> {
  using nodes = typename Large::nodes;
  using small_root = std::integral_constant<std::size_t, expr_size<Small>::value - 1>;
};
template <class Op, class Shape, class A, class B, bool AIsLarger = (expr_size<A>::value >= expr_size<B>::value)>
struct apply_binary_op {
  using merged = merged_operands<A, B>;
  using type = typename with_root<op_node<Op, Shape, expr_size<A>::value - 1, merged::small_root::value>, typename merged::nodes>::type;
};
template <class Op, class Shape, class A, class B>
struct apply_binary_op<Op, Shape, A, B, false> {
  using merged = merged_operands<B, A>;
  using type = typename with_root<op_node<Op, Shape, merged::small_root::value, expr_size<B>::value - 1>, typename merged::nodes>::type;
};
template <class Op, class Shape, class A, class B>
struct apply_op<Op, Shape, A, B> : apply_binary_op<Op, Shape, A, B> {};

// Three or more arguments (concat, stack): the list starts as the largest
// argument's, and every argument in turn is merged into it (the largest
// one's own merge is free: its list is the prefix). The list only grows,
// so the positions found for earlier arguments stay valid, and each merge
// costs what is new, as for a binary op. At most max_op_args arguments
// (node_traits checks; the builders say so first).
template <class Nodes, std::size_t... Roots>
struct merging_arguments {
  using nodes = Nodes;
};
template <class State, class Next>
struct merge_argument;
template <class Nodes, std::size_t... Roots, class Next>
struct merge_argument<merging_arguments<Nodes, Roots...>, Next> {
  using merged = merged_operands<merging_arguments<Nodes, Roots...>, Next>;
  using type = merging_arguments<typename merged::nodes, Roots..., merged::small_root::value>;
};
template <class State, class... Args>
struct merge_arguments {
  using type = State;
};
template <class State, class A, class... Rest>
struct merge_arguments<State, A, Rest...> : merge_arguments<typename merge_argument<State, A>::type, Rest...> {};

template <std::size_t N>
constexpr std::size_t largest_of(const std::array<std::size_t, N>& sizes) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < N; ++k)
    if (sizes[k] > sizes[best]) best = k;
  return best;
}

template <class Op, class Shape, class State>
struct with_argument_roots;
template <class Op, class Shape, class Nodes, std::size_t... Roots>
struct with_argument_roots<Op, Shape, merging_arguments<Nodes, Roots...>> {
  using type = typename with_root<op_node<Op, Shape, Roots...>, Nodes>::type;
};

template <class Op, class Shape, class A, class B, class C, class... Rest>
struct apply_op<Op, Shape, A, B, C, Rest...> {
  using largest = type_at<largest_of(std::array<std::size_t, 3 + sizeof...(Rest)>{
                              expr_size<A>::value, expr_size<B>::value, expr_size<C>::value, expr_size<Rest>::value...}),
                          type_list<A, B, C, Rest...>>;
  using merged = typename merge_arguments<merging_arguments<typename largest::nodes>, A, B, C, Rest...>::type;
  using type = typename with_argument_roots<Op, Shape, merged>::type;
};

}  // namespace tapeless::detail
