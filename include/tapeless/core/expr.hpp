#pragma once
// Expressions: empty values whose types spell the computational graph.
//
// A leaf is a named input, a named parameter or a compile-time constant; an
// inner node is `node<Op, Args...>`, an op rule applied to child expressions.
// No expression holds run-time data, so two sub-expressions of the same type
// always compute the same value: node identity is type identity.

#include <cstdint>
#include <type_traits>

#include <tapeless/core/name.hpp>
#include <tapeless/core/rational.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {

// Every expression E has a handle `E::id`, with `E::id::type` = E. A node
// names its arguments by their handles, not by their types: a leaf is its
// own handle, an inner node's handle is a class nested in it. Argument-
// dependent lookup (every `a + b` does it) visits the template arguments of
// an argument's type, and clang 14 does so without noticing repeats, so a
// node spelled with its arguments' full types costs time exponential in the
// depth of the graph at every operator call. A nested class is visited
// without its enclosing class's arguments: constant cost at any depth.

// A run-time value bound by name at each call (`bind<"x">(data)`).
template <class Name, shape_type Shape>
struct input_t {
  using name = Name;
  using shape = Shape;
  using id = input_t;
  using type = input_t;
};

// A trainable value stored in the graph's flat parameter buffer.
template <class Name, shape_type Shape>
struct param_t {
  using name = Name;
  using shape = Shape;
  using id = param_t;
  using type = param_t;
};

// A compile-time scalar Num/Den (already reduced).
template <std::intmax_t Num, std::intmax_t Den>
struct constant_t {
  using shape = scalar;
  using value = rational<Num, Den>;
  using id = constant_t;
  using type = constant_t;
};

// Op applied to the arguments with handles ArgIds. The op's family computes
// the result shape; the builder function that made the node has already
// checked the operand shapes.
template <class Op, class... ArgIds>
struct node {
  struct id {
    using type = node;
  };
  using op = Op;
  using args = detail::type_list<typename ArgIds::type...>;
  using shape = typename Op::template result_shape<typename ArgIds::type::shape...>;
};

template <fixed_string Name, shape_type Shape>
inline constexpr input_t<name_of<Name>, Shape> input{};

template <fixed_string Name, shape_type Shape = scalar>
inline constexpr param_t<name_of<Name>, Shape> param{};

template <std::intmax_t Num, std::intmax_t Den = 1>
inline constexpr constant_t<rational<Num, Den>::num, rational<Num, Den>::den> constant{};

namespace detail {
// What a builder returns after it has reported a mistake with static_assert:
// every builder and entry point accepts it silently, so the one message the
// user needs is not followed by a cascade of others.
struct invalid_expression {
  using shape = scalar;
  using id = invalid_expression;
  using type = invalid_expression;
};

template <class E>
struct is_expression : std::false_type {};
template <class N, class S>
struct is_expression<input_t<N, S>> : std::true_type {};
template <class N, class S>
struct is_expression<param_t<N, S>> : std::true_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_expression<constant_t<N, D>> : std::true_type {};
template <class Op, class... A>
struct is_expression<node<Op, A...>> : std::true_type {};
template <>
struct is_expression<invalid_expression> : std::true_type {};

template <class E>
struct is_input : std::false_type {};
template <class N, class S>
struct is_input<input_t<N, S>> : std::true_type {};
template <class E>
struct is_param : std::false_type {};
template <class N, class S>
struct is_param<param_t<N, S>> : std::true_type {};
template <class E>
struct is_constant : std::false_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_constant<constant_t<N, D>> : std::true_type {};
template <class E>
struct is_node : std::false_type {};
template <class Op, class... A>
struct is_node<node<Op, A...>> : std::true_type {};
}  // namespace detail

template <class E>
concept expression = detail::is_expression<std::remove_cvref_t<E>>::value;

template <class E>
concept invalid = std::is_same_v<std::remove_cvref_t<E>, detail::invalid_expression>;

template <class E>
concept input_leaf = detail::is_input<E>::value;
template <class E>
concept param_leaf = detail::is_param<E>::value;
template <class E>
concept constant_leaf = detail::is_constant<E>::value;
template <class E>
concept op_node = detail::is_node<E>::value;

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
