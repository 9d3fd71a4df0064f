#pragma once
// Expressions: empty values whose types spell the computational graph.
//
// An expression is `expr<Root, N0, ..., Nk>`: the node that computes its
// value, then the nodes it depends on. The graph's node list, in
// topological order, is N0, ..., Nk, Root (the root is written first only
// so that it is found without searching the list). A node is a leaf (a
// named input, a named parameter, a compile-time constant) or
// `op_node<Op, Shape, I...>`: an op rule applied to the nodes at positions
// I... of the list. No expression holds run-time data, so two equal node
// lists compute the same values: node identity is type identity.
//
// Why a flat list rather than nodes nested in nodes: a graph with sharing
// (h used by both branches of h + f(h)) nested as types is a tree of types
// whose printed name doubles with every level. Compilers print type names
// into debug information and diagnostics and walk them for argument-
// dependent lookup, so a 16-block residual stack took minutes and
// gigabytes under `g++ -g`. The flat list prints in length proportional to
// the number of nodes. Operators build it by merging their operands' lists
// (core/merge.hpp).

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <tapeless/core/name.hpp>
#include <tapeless/core/rational.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {

// A run-time value bound by name at each call (`bind<"x">(data)`).
template <class Name, shape_type Shape>
struct input_t {
  using name = Name;
  using shape = Shape;
};

// A trainable value stored in the graph's flat parameter buffer.
template <class Name, shape_type Shape>
struct param_t {
  using name = Name;
  using shape = Shape;
};

// The parameters of N blocks of a loop body (repeat, ops/repeat.hpp):
// BodyParams (the body's own parameter leaves, BlockSize numbers) once per
// block, block after block. It is one leaf of the graph, so the graph's
// type does not grow with N; parameter buffers show it to users as N times
// the body's named parameters ("block3.W": the name, the block's index,
// then the body parameter's name).
template <class Name, std::size_t Blocks, class BodyParams, std::size_t BlockSize>
struct param_stack_t {
  using name = Name;
  using body_params = BodyParams;
  static constexpr std::size_t blocks = Blocks;
  static constexpr std::size_t block_size = BlockSize;
  using shape = mat<Blocks, BlockSize>;
};

// A compile-time scalar Num/Den (already reduced).
template <std::intmax_t Num, std::intmax_t Den>
struct constant_t {
  using shape = scalar;
  using value = rational<Num, Den>;
};

// Op applied to the nodes at positions Args of the same graph; Shape is the
// result's shape, computed by the op's family when the node was built.
template <class Op, class Shape, std::size_t... Args>
struct op_node {
  using op = Op;
  using shape = Shape;
};

// An expression: the node computing its value, then the earlier nodes of
// its graph. `nodes` is the whole list in topological order (root last).
template <class Root, class... Earlier>
struct expr {
  using root = Root;
  using shape = typename Root::shape;
  using nodes = detail::type_list<Earlier..., Root>;
  static constexpr std::size_t size = sizeof...(Earlier) + 1;
};

template <fixed_string Name, shape_type Shape = scalar>
inline constexpr expr<input_t<name_of<Name>, Shape>> input{};

template <fixed_string Name, shape_type Shape = scalar>
inline constexpr expr<param_t<name_of<Name>, Shape>> param{};

template <std::intmax_t Num, std::intmax_t Den = 1>
inline constexpr expr<constant_t<rational<Num, Den>::num, rational<Num, Den>::den>> constant{};

namespace detail {
// What a builder returns after it has reported a mistake with static_assert:
// every builder and entry point accepts it silently, so the one message the
// user needs is not followed by a cascade of others.
struct invalid_expression {
  using shape = scalar;
};

template <class E>
struct is_expression : std::false_type {};
template <class R, class... N>
struct is_expression<expr<R, N...>> : std::true_type {};
template <>
struct is_expression<invalid_expression> : std::true_type {};

// Kinds of node.
template <class N>
struct is_input : std::false_type {};
template <class Name, class S>
struct is_input<input_t<Name, S>> : std::true_type {};
template <class N>
struct is_param : std::false_type {};
template <class Name, class S>
struct is_param<param_t<Name, S>> : std::true_type {};
template <class Name, std::size_t N, class B, std::size_t Size>
struct is_param<param_stack_t<Name, N, B, Size>> : std::true_type {};
template <class N>
struct is_param_stack : std::false_type {};
template <class Name, std::size_t N, class B, std::size_t Size>
struct is_param_stack<param_stack_t<Name, N, B, Size>> : std::true_type {};
template <class N>
struct is_constant : std::false_type {};
template <std::intmax_t Num, std::intmax_t Den>
struct is_constant<constant_t<Num, Den>> : std::true_type {};
template <class N>
struct is_node : std::false_type {};
template <class Op, class S, std::size_t... A>
struct is_node<op_node<Op, S, A...>> : std::true_type {};

// An expression that is a single leaf: `param<"W", ...>`, `0.5_c`.
template <class E>
struct single_leaf {
  using type = void;
};
template <class N>
struct single_leaf<expr<N>> {
  using type = N;
};
}  // namespace detail

template <class E>
concept expression = detail::is_expression<std::remove_cvref_t<E>>::value;

template <class E>
concept invalid = std::is_same<std::remove_cvref_t<E>, detail::invalid_expression>::value;

// Node kinds (for nodes of a graph's list).
template <class N>
concept input_leaf = detail::is_input<N>::value;
template <class N>
concept param_leaf = detail::is_param<N>::value;
template <class N>
concept constant_leaf = detail::is_constant<N>::value;
template <class N>
concept op_node_type = detail::is_node<N>::value;

// An expression that is just a constant: arithmetic on two of them is done
// at compile time.
template <class E>
concept constant_expression = constant_leaf<typename detail::single_leaf<std::remove_cvref_t<E>>::type>;

// `0.5_c`, `2_c`, `1e-3_c`: exact compile-time constants.
inline namespace literals {
template <char... C>
constexpr auto operator""_c() {
  constexpr detail::parsed_literal parsed = detail::parse_decimal_literal<C...>();
  static_assert(parsed.ok,
                "tapeless: this _c literal cannot be represented exactly as a ratio of 64-bit integers; "
                "write it with fewer digits or as constant<Num, Den>");
  if constexpr (parsed.ok)
    return constant<parsed.num, parsed.den>;
  else
    return detail::invalid_expression{};
}
}  // namespace literals

}  // namespace tapeless
