#pragma once
// Shapes are types. Each shape has one spelling, so two shapes are equal
// exactly when their types are, and diagnostics print them as the user wrote
// them (`tapeless::mat<2, 3>`). Storage is row-major: for an image, channel
// by channel, each channel row by row.

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

// A rank-3 tensor of Channels planes of Height x Width, as convolutions and
// pooling see it. Element (c, h, w) is at (c * Height + h) * Width + w.
template <std::size_t Channels, std::size_t Height, std::size_t Width>
struct image {
  static_assert(Channels > 0 && Height > 0 && Width > 0, "tapeless: image<C, H, W> needs C, H and W > 0");
  static constexpr std::size_t rank = 3;
  static constexpr std::size_t size = Channels * Height * Width;
  static constexpr std::size_t channels = Channels;
  static constexpr std::size_t height = Height;
  static constexpr std::size_t width = Width;
  static constexpr std::array<std::size_t, 3> dims{Channels, Height, Width};
};

// A class label: one number holding an integer in [0, Classes), the index
// of a sample's class, as the shape of an input: input<"y",
// class_index<10>>. It is a scalar to the sweeps; the class count is
// checked against the logits at compile time (pick,
// nn::softmax_cross_entropy) and the values at run time, when data is
// bound (tapeless::label_error).
template <std::size_t Classes>
struct class_index {
  static_assert(Classes > 0, "tapeless: class_index<C> needs C > 0");
  static constexpr std::size_t rank = 0;
  static constexpr std::size_t size = 1;
  static constexpr std::size_t classes = Classes;
  static constexpr std::array<std::size_t, 0> dims{};
};

namespace detail {
template <class S>
struct is_shape : std::false_type {};
template <std::size_t C>
struct is_shape<class_index<C>> : std::true_type {};
template <class S>
struct is_class_index : std::false_type {};
template <std::size_t C>
struct is_class_index<class_index<C>> : std::true_type {};
template <>
struct is_shape<scalar> : std::true_type {};
template <std::size_t N>
struct is_shape<vec<N>> : std::true_type {};
template <std::size_t M, std::size_t N>
struct is_shape<mat<M, N>> : std::true_type {};
template <std::size_t C, std::size_t H, std::size_t W>
struct is_shape<image<C, H, W>> : std::true_type {};
}  // namespace detail

template <class S>
concept shape_type = detail::is_shape<S>::value;

namespace detail {
// A shape as values, and back: the sweeps keep per-node facts in arrays
// indexed by position (eval/sweep.hpp, location_codes), and a shape is one
// of them.
struct shape_code {
  std::size_t rank = 0;
  std::array<std::size_t, 3> dims{};
  friend constexpr bool operator==(const shape_code&, const shape_code&) = default;
};
template <shape_type S>
constexpr shape_code code_of_shape() {
  shape_code c{S::rank, {}};
  for (std::size_t i = 0; i < S::rank; ++i) c.dims[i] = S::dims[i];
  return c;
}

template <std::size_t Rank, std::size_t D0, std::size_t D1, std::size_t D2>
struct shape_from;
template <std::size_t D0, std::size_t D1, std::size_t D2>
struct shape_from<0, D0, D1, D2> {
  using type = scalar;
};
template <std::size_t D0, std::size_t D1, std::size_t D2>
struct shape_from<1, D0, D1, D2> {
  using type = vec<D0>;
};
template <std::size_t D0, std::size_t D1, std::size_t D2>
struct shape_from<2, D0, D1, D2> {
  using type = mat<D0, D1>;
};
template <std::size_t D0, std::size_t D1, std::size_t D2>
struct shape_from<3, D0, D1, D2> {
  using type = image<D0, D1, D2>;
};
// (A class, not an alias template over C's fields: g++ 12 crashes
// substituting a dependent class-type argument into an alias.)
template <shape_code C>
struct shape_of_code_t {
  using type = typename shape_from<C.rank, C.dims[0], C.dims[1], C.dims[2]>::type;
};
template <shape_code C>
using shape_of_code = typename shape_of_code_t<C>::type;
}  // namespace detail

// "scalar", "vec<2>", "mat<2, 3>", "image<1, 28, 28>": for run-time messages and file headers.
template <shape_type S>
std::string shape_string() {
  if constexpr (detail::is_class_index<S>::value) {
    return "class_index<" + std::to_string(S::classes) + ">";
  } else if constexpr (S::rank == 0) {
    return "scalar";
  } else if constexpr (S::rank == 1) {
    return "vec<" + std::to_string(S::size) + ">";
  } else if constexpr (S::rank == 2) {
    return "mat<" + std::to_string(S::rows) + ", " + std::to_string(S::cols) + ">";
  } else {
    return "image<" + std::to_string(S::channels) + ", " + std::to_string(S::height) + ", " +
           std::to_string(S::width) + ">";
  }
}

}  // namespace tapeless
