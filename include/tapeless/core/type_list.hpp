#pragma once
// Type lists with constant-depth lookups.
//
// Graphs of a few hundred nodes are sorted and indexed at compile time, so
// lookups must not recurse over the list: `type_at` and `index_of` build one
// table class per list and let overload resolution find the element.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>

namespace tapeless::detail {

template <class... T>
struct type_list {
  static constexpr std::size_t size = sizeof...(T);
};

template <class T>
struct type_tag {};

// The length of a list as std::integral_constant, whose `value` is shared
// by every list of that length. The graph machinery reads lengths through
// it, not through `List::size`: each static variable it reads is a symbol
// whose mangled name spells the list (see list_contains below).
template <class List>
struct list_size;
template <class... T>
struct list_size<type_list<T...>> : std::integral_constant<std::size_t, sizeof...(T)> {};

// One element of a lookup table: non-template functions keyed by the
// element's type and by its position. Overload resolution over them only
// compares types for identity; deducing `indexed<I, T>` from a base class
// instead makes clang 14 compare deep node types structurally, which is
// exponential in graph depth.
template <class T, std::size_t I>
struct table_entry : type_tag<T> {
  static std::integral_constant<std::size_t, I> index(type_tag<T>*);
  static T at(std::integral_constant<std::size_t, I>*);
};

template <class List, class Indices>
struct index_table_impl;
template <class... T, std::size_t... I>
struct index_table_impl<type_list<T...>, std::index_sequence<I...>> : table_entry<T, I>... {
  using table_entry<T, I>::index...;
  using table_entry<T, I>::at...;
};
template <>
struct index_table_impl<type_list<>, std::index_sequence<>> {
  static void index(...);
};

template <class List>
using index_table = index_table_impl<List, std::make_index_sequence<list_size<List>::value>>;

// The I-th type of List. clang's __type_pack_element indexes a pack in
// constant time; elsewhere overload resolution over the table's entries
// costs a step per element.
#if defined(__has_builtin)
#if __has_builtin(__type_pack_element)
#define TAPELESS_TYPE_PACK_ELEMENT 1
#endif
#endif
#ifdef TAPELESS_TYPE_PACK_ELEMENT
template <std::size_t I, class List>
struct type_at_impl;
template <std::size_t I, class... T>
struct type_at_impl<I, type_list<T...>> {
  using type = __type_pack_element<I, T...>;
};
template <std::size_t I, class List>
using type_at = typename type_at_impl<I, List>::type;
#else
template <std::size_t I, class List>
using type_at = decltype(index_table<List>::at(static_cast<std::integral_constant<std::size_t, I>*>(nullptr)));
#endif

// A base-class test, not a requires-expression: clang 14 prints the types
// of a failed requirement eagerly, and a deep node type prints in time
// exponential in its depth.
//
// Lookups keyed on graph types are concepts and types, not variable
// templates: every instantiated variable is a symbol whose mangled name
// spells its template arguments, and g++ mangles each one even when it is
// only read at compile time. Keyed on node lists, that is quadratic in the
// graph's size and was most of a deep graph's compile time.
template <class T, class List>
concept list_contains = std::is_base_of<type_tag<T>, index_table<List>>::value;

// The position of T in List (T must occur exactly once), as
// std::integral_constant: index_of<T, List>::value.
template <class T, class List>
using index_of = decltype(index_table<List>::index(static_cast<type_tag<T>*>(nullptr)));

// Calls f.template operator()<T>() for each T of the list, in order. A
// braced list, not a fold expression: clang 14 limits a fold expression to
// 256 operands, and graphs have more nodes than that.
template <class... T, class F>
constexpr void for_each_type(type_list<T...>, F&& f) {
  (void)std::initializer_list<int>{(f.template operator()<T>(), 0)...};
}

template <class List, class T>
struct push_back;
template <class... Ts, class T>
struct push_back<type_list<Ts...>, T> {
  using type = type_list<Ts..., T>;
};

template <class A, class B>
struct concat;
template <class... A, class... B>
struct concat<type_list<A...>, type_list<B...>> {
  using type = type_list<A..., B...>;
};
template <class A, class B>
using concat_t = typename concat<A, B>::type;

// A predicate for filter: "is T".
template <class T>
struct same_as_pred {
  template <class U>
  struct is : std::is_same<T, U> {};
};

template <class List, class Indices = std::make_index_sequence<list_size<List>::value>>
struct reverse;
template <class List, std::size_t... I>
struct reverse<List, std::index_sequence<I...>> {
  using type = type_list<type_at<sizeof...(I) - 1 - I, List>...>;
};

// Small constexpr algorithms on arrays. Compile-time tables are computed by
// expanding a pack into an array and looping over it in one of these, which
// are templated on sizes only: a lambda or function templated on node types
// would be instantiated (and its name, which spells the node types, mangled)
// once per node.
template <std::size_t N>
constexpr std::size_t count_true(const std::array<bool, N>& flags) {
  std::size_t n = 0;
  for (bool f : flags) n += f ? 1 : 0;
  return n;
}

template <std::size_t N>
constexpr std::size_t first_false(const std::array<bool, N>& flags) {
  std::size_t i = 0;
  while (i < N && flags[i]) ++i;
  return i;
}

// {0, s0, s0 + s1, ...}: offsets of consecutive regions of the given sizes.
template <std::size_t N>
constexpr std::array<std::size_t, N + 1> prefix_sums(const std::array<std::size_t, N>& sizes) {
  std::array<std::size_t, N + 1> out{};
  for (std::size_t i = 0; i < N; ++i) out[i + 1] = out[i] + sizes[i];
  return out;
}

// The positions of the true entries of `keep`, as an array of Count + 1
// (the last entry unused, so that Count may be 0).
template <std::size_t Count, std::size_t N>
constexpr std::array<std::size_t, Count + 1> true_positions(const std::array<bool, N>& keep) {
  std::array<std::size_t, Count + 1> out{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < N; ++i)
    if (keep[i]) out[at++] = i;
  return out;
}

// The elements of List for which Pred<T>::value holds, in order, picked by
// position so that no recursion over the list is needed.
template <class List, template <class> class Pred>
struct filter;
template <class... T, template <class> class Pred>
struct filter<type_list<T...>, Pred> {
  static constexpr std::array<bool, sizeof...(T)> keep{Pred<T>::value...};
  static constexpr std::size_t count = count_true(keep);
  static constexpr auto positions = true_positions<count>(keep);

  template <class Indices>
  struct pick;
  template <std::size_t... I>
  struct pick<std::index_sequence<I...>> {
    using type = type_list<type_at<positions[I], type_list<T...>>...>;
    using indices = std::index_sequence<positions[I]...>;
  };
  using type = typename pick<std::make_index_sequence<count>>::type;
  // The positions of the kept elements in the list.
  using index_sequence = typename pick<std::make_index_sequence<count>>::indices;
};

template <class List, template <class> class Pred>
using filter_t = typename filter<List, Pred>::type;

}  // namespace tapeless::detail
