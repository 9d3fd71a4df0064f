#pragma once
// Compile-time names for inputs and parameters.
//
// Users spell a name as a string literal template argument (`param<"W1", ...>`).
// Inside the library a name is the type `name<'W', '1'>`: a character pack
// prints readably in both g++ and clang diagnostics (clang 14 prints a
// class-type template argument as a list of character codes), and two leaves
// with the same spelling are the same type.

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

namespace tapeless {

// A string literal usable as a template argument: `template <fixed_string S>`.
template <std::size_t N>
struct fixed_string {
  char chars[N + 1]{};

  constexpr fixed_string(const char (&text)[N + 1]) {
    for (std::size_t i = 0; i <= N; ++i) chars[i] = text[i];
  }
  constexpr fixed_string(const std::array<char, N + 1>& text) {
    for (std::size_t i = 0; i <= N; ++i) chars[i] = text[i];
  }
  static constexpr std::size_t size() { return N; }
  constexpr std::string_view view() const { return {chars, N}; }
};
template <std::size_t N>
fixed_string(const char (&)[N]) -> fixed_string<N - 1>;
template <std::size_t N>
fixed_string(const std::array<char, N>&) -> fixed_string<N - 1>;

// The type-level name. `name<'W','1'>::view()` is "W1".
template <char... C>
struct name {
  static constexpr char chars[] = {C..., '\0'};
  static constexpr std::string_view view() { return {chars, sizeof...(C)}; }
};

namespace detail {
template <fixed_string S, class Indices = std::make_index_sequence<S.size()>>
struct to_name;
template <fixed_string S, std::size_t... I>
struct to_name<S, std::index_sequence<I...>> {
  using type = name<S.chars[I]...>;
};

template <class A, class B>
struct name_concat;
template <char... A, char... B>
struct name_concat<name<A...>, name<B...>> {
  using type = name<A..., B...>;
};

constexpr std::size_t decimal_digits(std::size_t i) { return i < 10 ? 1 : 1 + decimal_digits(i / 10); }
}  // namespace detail

template <fixed_string S>
using name_of = typename detail::to_name<S>::type;

template <class A, class B>
using name_concat = typename detail::name_concat<A, B>::type;

// `indexed_name<"block", 3, ".W">` is the fixed_string "block3.W": names for
// parameters of blocks generated in a compile-time loop.
template <fixed_string Prefix, std::size_t Index, fixed_string Suffix = "">
inline constexpr auto indexed_name = [] {
  constexpr std::size_t digits = detail::decimal_digits(Index);
  std::array<char, Prefix.size() + digits + Suffix.size() + 1> out{};
  std::size_t at = 0;
  for (char c : Prefix.view()) out[at++] = c;
  for (std::size_t d = 0, rest = Index; d < digits; ++d, rest /= 10) out[at + digits - 1 - d] = char('0' + rest % 10);
  at += digits;
  for (char c : Suffix.view()) out[at++] = c;
  return fixed_string(out);
}();

// `joined_name<"fc1", ".W">` is the fixed_string "fc1.W": parameter names
// derived from a layer's name.
template <fixed_string A, fixed_string B>
inline constexpr auto joined_name = [] {
  std::array<char, A.size() + B.size() + 1> out{};
  std::size_t at = 0;
  for (char c : A.view()) out[at++] = c;
  for (char c : B.view()) out[at++] = c;
  return fixed_string(out);
}();

}  // namespace tapeless
