#pragma once
// Weight initializers: fill a view (or a span with given fans) from a seeded
// generator.
//
//   zeros                        0
//   constant(c)                  c
//   glorot_uniform (xavier_)     U(-a, a),  a = sqrt(6 / (fan_in + fan_out))
//   glorot_normal                N(0, s^2), s = sqrt(2 / (fan_in + fan_out))
//   he_uniform (kaiming_)        U(-a, a),  a = sqrt(6 / fan_in)
//   he_normal                    N(0, s^2), s = sqrt(2 / fan_in), untruncated
//
// A matrix W of shape mat<rows, cols> is used as W * x, so fan_in = cols and
// fan_out = rows. A vec<n> counts as fan_in = fan_out = n, a scalar as 1, 1.
//
// Each scheme is a function object, so the same name fills one view,
// `he_normal(P.get<"W1">(), g)`, and names the scheme for a whole network,
// `initialize(P, he_normal, seed)`.
//
// Stream use: uniform schemes take one word per element, in row-major order.
// Normal schemes take standard_normal_pair()s: elements 2i and 2i+1 get the
// pair's first and second value; for an odd size the last second value is
// dropped. a and s are computed in the element type (T(6) / T(n), then
// std::sqrt, both correctly rounded); an element is a * uniform_symmetric<T>
// or static_cast<T>(z) * s, one rounding each.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/init/normal.hpp>
#include <tapeless/init/rng.hpp>

namespace tapeless::init {

// Fan-in and fan-out of one parameter.
struct fan {
  std::size_t in;
  std::size_t out;
  friend constexpr bool operator==(const fan&, const fan&) = default;
};

template <shape_type S>
constexpr fan fan_of() noexcept {
  if constexpr (S::rank == 2)
    return {S::cols, S::rows};
  else
    return {S::size, S::size};
}

// The same from a buffer's layout (`P.layout_info()[k]`).
constexpr fan fan_of(const leaf_info& leaf) noexcept {
  if (leaf.rank == 2) return {leaf.dims[1], leaf.dims[0]};
  return {leaf.size, leaf.size};
}

namespace detail {
template <class T>
void check_element_type() {
  static_assert(!std::is_const_v<T>, "tapeless::init: cannot initialize a view of const elements");
  static_assert(reproducible_float<T>,
                "tapeless::init: initializers fill float or double, the types whose bits are reproducible");
}

inline void require_positive(std::size_t n, const char* scheme, const char* what) {
  if (n == 0) throw std::invalid_argument(std::string("tapeless::init::") + scheme + ": " + what + " is 0");
}

template <class T, std::size_t N>
void fill_uniform(std::span<T, N> out, T limit, rng& g) noexcept {
  for (T& x : out) x = limit * uniform_symmetric<T>(g);
}

template <class T, std::size_t N>
void fill_normal(std::span<T, N> out, T sigma, rng& g) noexcept {
  std::size_t i = 0;
  while (i < out.size()) {
    const auto [z0, z1] = standard_normal_pair(g);
    out[i++] = static_cast<T>(z0) * sigma;
    if (i < out.size()) out[i++] = static_cast<T>(z1) * sigma;
  }
}

// sqrt(k / n) in T: one correctly rounded division, one correctly rounded sqrt.
template <class T>
T sqrt_ratio(int k, std::size_t n) noexcept {
  return std::sqrt(static_cast<T>(k) / static_cast<T>(n));
}

// Shared by every scheme: the view form derives the fans from the shape.
template <class Derived>
struct scheme_base {
  template <class T, shape_type S>
  void operator()(const tensor_view<T, S>& v, rng& g) const {
    check_element_type<T>();
    if constexpr (reproducible_float<T> && !std::is_const_v<T>)
      static_cast<const Derived&>(*this).fill(v.span(), fan_of<S>(), g);
  }
  template <class T, std::size_t N>
  void operator()(std::span<T, N> out, fan f, rng& g) const {
    check_element_type<T>();
    if constexpr (reproducible_float<T> && !std::is_const_v<T>) static_cast<const Derived&>(*this).fill(out, f, g);
  }
};
}  // namespace detail

struct zeros_t : detail::scheme_base<zeros_t> {
  using scheme_base::operator();
  template <class T, shape_type S>
  void operator()(const tensor_view<T, S>& v) const {
    rng unused(0);
    (*this)(v, unused);
  }
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan, rng&) const noexcept {
    std::fill(out.begin(), out.end(), T(0));
  }
};
inline constexpr zeros_t zeros{};

// constant(view, c) fills one view; constant(c) is a scheme for initialize().
template <class C>
struct constant_scheme : detail::scheme_base<constant_scheme<C>> {
  C value;
  constexpr explicit constant_scheme(C c) noexcept : value(c) {}
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan, rng&) const noexcept {
    std::fill(out.begin(), out.end(), static_cast<T>(value));
  }
};

struct constant_t {
  template <class T, shape_type S, class C>
  requires std::is_arithmetic_v<C>
  void operator()(const tensor_view<T, S>& v, C c) const {
    rng unused(0);
    const constant_scheme<C> scheme(c);
    scheme(v, unused);
  }
  template <class C>
  requires std::is_arithmetic_v<C>
  constexpr constant_scheme<C> operator()(C c) const noexcept { return constant_scheme<C>(c); }
};
inline constexpr constant_t constant{};

struct glorot_uniform_t : detail::scheme_base<glorot_uniform_t> {
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan f, rng& g) const {
    detail::require_positive(f.in + f.out, "glorot_uniform", "fan_in + fan_out");
    detail::fill_uniform(out, detail::sqrt_ratio<T>(6, f.in + f.out), g);
  }
};
inline constexpr glorot_uniform_t glorot_uniform{};

struct glorot_normal_t : detail::scheme_base<glorot_normal_t> {
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan f, rng& g) const {
    detail::require_positive(f.in + f.out, "glorot_normal", "fan_in + fan_out");
    detail::fill_normal(out, detail::sqrt_ratio<T>(2, f.in + f.out), g);
  }
};
inline constexpr glorot_normal_t glorot_normal{};

struct he_uniform_t : detail::scheme_base<he_uniform_t> {
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan f, rng& g) const {
    detail::require_positive(f.in, "he_uniform", "fan_in");
    detail::fill_uniform(out, detail::sqrt_ratio<T>(6, f.in), g);
  }
};
inline constexpr he_uniform_t he_uniform{};

struct he_normal_t : detail::scheme_base<he_normal_t> {
  template <class T, std::size_t N>
  void fill(std::span<T, N> out, fan f, rng& g) const {
    detail::require_positive(f.in, "he_normal", "fan_in");
    detail::fill_normal(out, detail::sqrt_ratio<T>(2, f.in), g);
  }
};
inline constexpr he_normal_t he_normal{};

// The other common names of the same schemes.
inline constexpr const glorot_uniform_t& xavier_uniform = glorot_uniform;
inline constexpr const glorot_normal_t& xavier_normal = glorot_normal;
inline constexpr const he_uniform_t& kaiming_uniform = he_uniform;
inline constexpr const he_normal_t& kaiming_normal = he_normal;

}  // namespace tapeless::init
