#pragma once
// Shapes are types. Each shape has one spelling, so two shapes are equal
// exactly when their types are, and diagnostics print them as the user wrote
// them (`tapeless::mat<2, 3>`). Storage is row-major.

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

namespace tapeless {

struct scalar {
  static constexpr std::size_t rank = 0;
  static constexpr std::size_t size = 1;
  static constexpr std::array<std::size_t, 0> dims{};
};

template <std::size_t N>
struct vec {
  static_assert(N > 0, "tapeless: vec<N> needs N > 0");
  static constexpr std::size_t rank = 1;
  static constexpr std::size_t size = N;
  static constexpr std::array<std::size_t, 1> dims{N};
};

template <std::size_t Rows, std::size_t Cols>
struct mat {
  static_assert(Rows > 0 && Cols > 0, "tapeless: mat<M, N> needs M > 0 and N > 0");
  static constexpr std::size_t rank = 2;
  static constexpr std::size_t size = Rows * Cols;
  static constexpr std::size_t rows = Rows;
  static constexpr std::size_t cols = Cols;
  static constexpr std::array<std::size_t, 2> dims{Rows, Cols};
};

namespace detail {
template <class S>
struct is_shape : std::false_type {};
template <>
struct is_shape<scalar> : std::true_type {};
template <std::size_t N>
struct is_shape<vec<N>> : std::true_type {};
template <std::size_t M, std::size_t N>
struct is_shape<mat<M, N>> : std::true_type {};
}  // namespace detail

template <class S>
concept shape_type = detail::is_shape<S>::value;

// "scalar", "vec<2>", "mat<2, 3>": for run-time messages and file headers.
template <shape_type S>
std::string shape_string() {
  if constexpr (S::rank == 0) {
    return "scalar";
  } else if constexpr (S::rank == 1) {
    return "vec<" + std::to_string(S::size) + ">";
  } else {
    return "mat<" + std::to_string(S::rows) + ", " + std::to_string(S::cols) + ">";
  }
}

}  // namespace tapeless
