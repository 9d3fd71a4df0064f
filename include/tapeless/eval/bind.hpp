#pragma once
// Binding run-time data to named inputs: `bind<"x">(data)`.
//
// Data may be a number (for a scalar input), a std::array, a C array, a
// std::span, a tensor or tensor_view, nested arrays for a matrix
// (row-major), or any contiguous sized range such as std::vector. When the
// size is in the type it is checked at compile time; otherwise it is checked
// at run time, before anything is computed or written, and a mismatch
// throws `tapeless::shape_error` naming the input.
//
// A binding keeps a reference to an lvalue and a copy of an rvalue, so
// `bind<"y">(1.0)` is safe to store.

#include <array>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/core/tensor.hpp>

namespace tapeless {

// The value of an input.
template <class Name, class Data>
struct binding {
  using name = Name;
  Data data;
};

// The tangent (direction) of an input, for forward mode.
template <class Name, class Data>
struct tangent_binding {
  using name = Name;
  Data data;
};

template <fixed_string Name>
struct bind_t {
  template <class Data>
  constexpr binding<name_of<Name>, Data> operator()(Data&& data) const {
    return {std::forward<Data>(data)};
  }
};
template <fixed_string Name>
inline constexpr bind_t<Name> bind{};

template <fixed_string Name>
struct tangent_t {
  template <class Data>
  constexpr tangent_binding<name_of<Name>, Data> operator()(Data&& data) const {
    return {std::forward<Data>(data)};
  }
};
template <fixed_string Name>
inline constexpr tangent_t<Name> tangent{};

namespace detail {

template <class B>
struct is_binding : std::false_type {};
template <class N, class D>
struct is_binding<binding<N, D>> : std::true_type {};

template <class B>
struct is_tangent_binding : std::false_type {};
template <class N, class D>
struct is_tangent_binding<tangent_binding<N, D>> : std::true_type {};

inline constexpr std::size_t dynamic_extent = std::dynamic_extent;

// How many numbers a piece of data holds, if its type says so.
template <class D>
struct flat_extent {
  static constexpr std::size_t value = dynamic_extent;
};
template <class D>
  requires std::is_arithmetic_v<D>
struct flat_extent<D> {
  static constexpr std::size_t value = 1;
};
template <class U, std::size_t N>
struct flat_extent<std::array<U, N>> {
  static constexpr std::size_t inner = flat_extent<std::remove_cv_t<U>>::value;
  static constexpr std::size_t value = inner == dynamic_extent ? dynamic_extent : N * inner;
};
template <class U, std::size_t N>
struct flat_extent<U[N]> : flat_extent<std::array<U, N>> {};
template <class U, std::size_t N>
  requires(N != std::dynamic_extent)
struct flat_extent<std::span<U, N>> : flat_extent<std::array<std::remove_cv_t<U>, N>> {};
template <class U, class S>
struct flat_extent<tensor<U, S>> {
  static constexpr std::size_t value = S::size;
};
template <class U, class S>
struct flat_extent<tensor_view<U, S>> {
  static constexpr std::size_t value = S::size;
};

template <class D>
using data_t = std::remove_cvref_t<D>;

// Number of numbers in `data`, counted at run time.
template <class D>
std::size_t flat_size(const D& data) {
  if constexpr (flat_extent<D>::value != dynamic_extent) {
    return flat_extent<D>::value;
  } else {
    static_assert(std::ranges::contiguous_range<const D> && std::ranges::sized_range<const D>,
                  "tapeless: bind<name>(data): data must be a number, an array, a span, a tensor or a "
                  "contiguous sized range such as std::vector");
    using U = std::remove_cvref_t<std::ranges::range_value_t<const D>>;
    std::size_t n = 0;
    if constexpr (flat_extent<U>::value != dynamic_extent)
      n = std::ranges::size(data) * flat_extent<U>::value;
    else
      for (const auto& element : data) n += flat_size(element);
    return n;
  }
}

// Copies `data` row-major into `out`, converting each number to T.
template <class T, class D>
T* copy_flat(const D& data, T* out) {
  if constexpr (std::is_arithmetic_v<D>) {
    *out = T(data);
    return out + 1;
  } else {
    for (const auto& element : data) out = copy_flat(element, out);
    return out;
  }
}

// Throws label_error unless v, bound to the class label Input, is an
// integer in [0, classes). `sample` names the sample of a batch (npos for
// a one-sample call).
template <class Input>
void check_label(double v, std::size_t sample) {
  constexpr std::size_t classes = Input::shape::classes;
  if (v >= 0 && v < double(classes) && v == double(static_cast<std::size_t>(v))) return;
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  throw label_error("tapeless: label '" + std::string(Input::name::view()) + "' (" + shape_string<typename Input::shape>() +
                    ") holds " + text +
                    (sample == static_cast<std::size_t>(-1) ? std::string() : " for sample " + std::to_string(sample)) +
                    ": a class label must be an integer in [0, " + std::to_string(classes) + ")");
}

template <class Input, class Extent>
struct binding_size_mismatch {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};

// Checks the size of data bound to Input: at compile time when the size is
// in the type, at run time (throwing) otherwise.
template <class Input, class Data>
void check_binding_size(const Data& data) {
  using S = typename Input::shape;
  constexpr std::size_t extent = flat_extent<Data>::value;
  if constexpr (extent != dynamic_extent) {
    if constexpr (extent != S::size)
      static_assert(binding_size_mismatch<Input, std::integral_constant<std::size_t, extent>>::value,
                    "tapeless: bind<name>(data): the data holds a different number of values than the input's "
                    "shape (the input and the data's size are the template arguments above)");
  } else {
    const std::size_t n = flat_size(data);
    if (n != S::size)
      throw shape_error("tapeless: input '" + std::string(Input::name::view()) + "' (" + shape_string<S>() +
                        ", " + std::to_string(S::size) + " values) was bound to " + std::to_string(n) + " values");
    // Nested data for a matrix must have its rows: a ragged vector of
    // vectors with the right total would otherwise be read shifted.
    if constexpr (S::rank == 2) {
      if constexpr (std::ranges::range<std::ranges::range_value_t<const Data>>) {
        bool rows_fit = std::ranges::size(data) == S::rows;
        for (const auto& row : data) rows_fit = rows_fit && flat_size(row) == S::cols;
        if (!rows_fit)
          throw shape_error("tapeless: input '" + std::string(Input::name::view()) + "' (" + shape_string<S>() +
                            ") was bound to nested data whose rows do not have " + std::to_string(S::cols) +
                            " values each");
      }
    }
  }
  if constexpr (is_class_index<S>::value) {
    double v = 0;
    copy_flat(data, &v);
    check_label<Input>(v, static_cast<std::size_t>(-1));
  }
}

template <class Shape, class Extent>
struct cotangent_size_mismatch {
  static constexpr bool value = false;
};

// The same check for the cotangent passed to vjp, whose shape is the
// expression's.
template <class S, class Data>
void check_cotangent_size(const Data& data) {
  constexpr std::size_t extent = flat_extent<Data>::value;
  if constexpr (extent != dynamic_extent) {
    if constexpr (extent != S::size)
      static_assert(cotangent_size_mismatch<S, std::integral_constant<std::size_t, extent>>::value,
                    "tapeless: vjp(f, P, cotangent, ...): the cotangent must have f's shape (f's shape and the "
                    "cotangent's size are the template arguments above)");
  } else {
    const std::size_t n = flat_size(data);
    if (n != S::size)
      throw shape_error("tapeless: vjp: the cotangent holds " + std::to_string(n) + " values, the expression (" +
                        shape_string<S>() + ") has " + std::to_string(S::size));
  }
}

}  // namespace detail
}  // namespace tapeless
