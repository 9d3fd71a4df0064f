#pragma once
// The static workspace of a graph.
//
// Every input and op node of the graph owns a slot of its shape's size;
// parameters live in the caller's parameter buffer and constants in the
// type, so they own none. The same layout serves values, adjoints and
// tangents. A workspace is a plain struct of arrays whose size is a
// compile-time constant: it lives on the stack of the call that uses it.

#include <array>
#include <cstddef>
#include <type_traits>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {

namespace detail {
// Numbers a node keeps in its slot past its value: none, except for an op
// that declares scratch (the repeat loop node keeps its blocks' values
// there, and one block's adjoints in its adjoint slot). The plain layout
// serves values, adjoints and tangents alike, so its slot holds the larger
// of the two.
template <class N>
struct node_scratch {
  static constexpr std::size_t values = 0, adjoints = 0, larger = 0;
};
template <class Op, class S, std::size_t... A>
  requires requires { Op::value_scratch; }
struct node_scratch<op_node<Op, S, A...>> {
  static constexpr std::size_t values = Op::value_scratch, adjoints = Op::adjoint_scratch;
  static constexpr std::size_t larger = values > adjoints ? values : adjoints;
};

// Numbers in node N's slot. A class keyed on the node alone, not a member
// of slot_layout<Root>: that would be one static variable per node with
// the whole graph in its mangled name (see core/merge.hpp, list_structure).
template <class N>
struct slot_size : std::integral_constant<std::size_t, (input_leaf<N> || op_node_type<N>)
                                                           ? N::shape::size + node_scratch<N>::larger
                                                           : 0> {};

template <class... N>
constexpr auto slot_offsets(type_list<N...>) {
  return prefix_sums(std::array<std::size_t, sizeof...(N)>{slot_size<N>::value...});
}
}  // namespace detail

template <class Root>
struct slot_layout {
  using nodes = typename graph<Root>::nodes;

  static constexpr auto offsets = detail::slot_offsets(nodes{});

  // Scalars in one slot array (values, adjoints or tangents).
  static constexpr std::size_t size = offsets[nodes::size];

  // The slot of the node at position K of the list, or of node type N.
  template <std::size_t K>
  static constexpr std::size_t offset_at = offsets[K];
  template <class N>
  static constexpr std::size_t offset = offsets[detail::index_of<N, nodes>::value];
};

// Values and adjoints of every node with a slot, as numbers of type T.
template <class Root, class T>
struct workspace {
  using layout = slot_layout<Root>;
  std::array<T, layout::size> values;
  std::array<T, layout::size> adjoints;

  static constexpr std::size_t bytes = 2 * layout::size * sizeof(T);
};

// Values and tangents, for forward-mode sweeps.
template <class Root, class T>
struct tangent_workspace {
  using layout = slot_layout<Root>;
  std::array<T, layout::size> values;
  std::array<T, layout::size> tangents;

  static constexpr std::size_t bytes = 2 * layout::size * sizeof(T);
};

}  // namespace tapeless
