#pragma once
// Compile-time numbers as reduced ratios of 64-bit integers.
//
// clang 14 rejects floating-point template arguments, so constants in an
// expression (`0.5_c`, `1e-3_c`) and subgradient choices (`kink<1, 2>`) are
// ratios. `0.1_c` is exactly 1/10; converted to `double` or `float` it is
// rounded once, to the nearest representable value.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>

namespace tapeless {

template <std::intmax_t Num, std::intmax_t Den = 1>
struct rational {
  static_assert(Den != 0, "tapeless: a compile-time ratio needs a nonzero denominator");
  static_assert(Num != std::numeric_limits<std::intmax_t>::min() && Den != std::numeric_limits<std::intmax_t>::min(),
                "tapeless: compile-time ratio out of range");
  static constexpr std::intmax_t num = (Den < 0 ? -Num : Num) / std::gcd(Num, Den);
  static constexpr std::intmax_t den = (Den < 0 ? -Den : Den) / std::gcd(Num, Den);

  // num/den as E. When both fit E's significand exactly this is one
  // correctly rounded division, so the nearest E; otherwise the division is
  // done in long double and rounded again, which can be one ulp off.
  template <std::floating_point E>
  static constexpr E as() {
    constexpr std::intmax_t exact = std::intmax_t{1} << std::numeric_limits<E>::digits;
    if constexpr (num <= exact && -num <= exact && den <= exact)
      return static_cast<E>(num) / static_cast<E>(den);
    else
      return static_cast<E>(static_cast<long double>(num) / static_cast<long double>(den));
  }
};

namespace detail {
template <class R>
struct is_rational : std::false_type {};
template <std::intmax_t N, std::intmax_t D>
struct is_rational<rational<N, D>> : std::true_type {};

// Parses the characters of a decimal literal (`12`, `0.5`, `1e-3`, `2.5E+2`,
// `1'000`) into an exact ratio, or reports why it cannot.
struct parsed_literal {
  std::intmax_t num = 0;
  std::intmax_t den = 1;
  bool ok = true;
};

template <char... C>
constexpr parsed_literal parse_decimal_literal() {
  constexpr char text[] = {C..., '\0'};
  constexpr std::intmax_t limit = std::numeric_limits<std::intmax_t>::max() / 10;
  parsed_literal out;
  std::size_t i = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  for (; text[i] != '\0' && text[i] != 'e' && text[i] != 'E'; ++i) {
    char c = text[i];
    if (c == '\'') continue;
    if (c == '.') {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9' || out.num > limit) return parsed_literal{0, 1, false};
    out.num = out.num * 10 + (c - '0');
    if (in_fraction) ++fraction_digits;
  }
  int exponent = 0;
  if (text[i] == 'e' || text[i] == 'E') {
    ++i;
    bool negative = false;
    if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
    for (; text[i] != '\0'; ++i) {
      if (text[i] < '0' || text[i] > '9') return parsed_literal{0, 1, false};
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 40) return parsed_literal{0, 1, false};
    }
    if (negative) exponent = -exponent;
  }
  exponent -= fraction_digits;
  for (; exponent > 0; --exponent) {
    if (out.num > limit) return parsed_literal{0, 1, false};
    out.num *= 10;
  }
  for (; exponent < 0; ++exponent) {
    if (out.den > limit) return parsed_literal{0, 1, false};
    out.den *= 10;
  }
  return out;
}
}  // namespace detail

template <class R>
concept rational_type = detail::is_rational<R>::value;

}  // namespace tapeless
