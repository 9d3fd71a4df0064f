#pragma once
// A plain C++ number where the graph needs a constant: `x * 0.5`, `1 - x`,
// `leaky_relu(x, 0.01)`. An expression's type is its graph, so a number in
// it must be known at compile time: 0.5_c. A number known only at run time
// is an input (input<"s", scalar>), bound at each call. These overloads
// exist to say so in one message instead of a list of candidates.

#include <type_traits>

#include <tapeless/core/expr.hpp>

namespace tapeless {
namespace detail {

template <class N>
concept plain_number = std::is_arithmetic_v<std::remove_cvref_t<N>>;

// Always false; its template argument (the number's type) is in the message.
template <class Number>
struct plain_number_in_expression {
  static constexpr bool value = false;
};

template <class Number>
constexpr invalid_expression reject_plain_number() {
  static_assert(plain_number_in_expression<Number>::value,
                "tapeless: a plain number in an expression (its type is the template argument above): write a "
                "compile-time constant such as 0.5_c, or bind a number known only at run time as an input "
                "(input<\"s\", scalar>)");
  return {};
}

}  // namespace detail

template <expression A, detail::plain_number N>
constexpr auto operator+(A, N) {
  return detail::reject_plain_number<N>();
}
template <detail::plain_number N, expression B>
constexpr auto operator+(N, B) {
  return detail::reject_plain_number<N>();
}
template <expression A, detail::plain_number N>
constexpr auto operator-(A, N) {
  return detail::reject_plain_number<N>();
}
template <detail::plain_number N, expression B>
constexpr auto operator-(N, B) {
  return detail::reject_plain_number<N>();
}
template <expression A, detail::plain_number N>
constexpr auto operator*(A, N) {
  return detail::reject_plain_number<N>();
}
template <detail::plain_number N, expression B>
constexpr auto operator*(N, B) {
  return detail::reject_plain_number<N>();
}
template <expression A, detail::plain_number N>
constexpr auto operator/(A, N) {
  return detail::reject_plain_number<N>();
}
template <detail::plain_number N, expression B>
constexpr auto operator/(N, B) {
  return detail::reject_plain_number<N>();
}

}  // namespace tapeless
