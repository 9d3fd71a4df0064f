#pragma once
// Shaped views over flat storage, and small owning tensors.
//
// `tensor_view<T, S>` is a pointer with a compile-time shape: op rules read
// and write node slots through it, and users see parameters and gradients
// through it (`P.get<"W1">()(0, 1)`, an image's `v(c, h, w)`). `tensor<T, S>`
// owns its elements and is what `value()` returns for a non-scalar
// expression.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>

#include <tapeless/core/error.hpp>
#include <tapeless/core/shape.hpp>

namespace tapeless {

// A matrix with one column (`{{a}, {b}}` would fit both list assignments).
template <class S>
constexpr bool one_column_matrix() {
  if constexpr (S::rank == 2)
    return S::cols == 1;
  else
    return false;
}

template <class T, shape_type S>
class tensor_view {
 public:
  using element_type = T;
  using value_type = std::remove_const_t<T>;
  using shape = S;

  constexpr explicit tensor_view(T* data) noexcept : data_(data) {}
  constexpr tensor_view(const tensor_view&) noexcept = default;
  // A view of mutable elements converts to a view of const ones.
  template <class U>
    requires(std::is_same_v<const U, T> && !std::is_same_v<U, T>)
  constexpr tensor_view(const tensor_view<U, S>& other) noexcept : data_(other.data()) {}

  // Assigning to a view writes through it; rebinding a view is never what
  // `view_a = view_b` means, so plain copy assignment is not provided.
  tensor_view& operator=(const tensor_view&) = delete;

  static constexpr std::size_t size() noexcept { return S::size; }
  constexpr T* data() const noexcept { return data_; }
  constexpr T* begin() const noexcept { return data_; }
  constexpr T* end() const noexcept { return data_ + S::size; }
  constexpr std::span<T, S::size> span() const noexcept { return std::span<T, S::size>(data_, S::size); }

  constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
  constexpr T& operator()(std::size_t row, std::size_t col) const noexcept
    requires(S::rank == 2)
  {
    return data_[row * S::cols + col];
  }
  constexpr T& operator()(std::size_t channel, std::size_t row, std::size_t col) const noexcept
    requires(S::rank == 3)
  {
    return data_[(channel * S::height + row) * S::width + col];
  }

  // `P.get<"b1">() = {0, -1}`: row-major values, checked before writing.
  // A one-column matrix takes one list per row instead (`{{a}, {b}}` would
  // otherwise fit both forms).
  const tensor_view& operator=(std::initializer_list<value_type> values) const
    requires(!std::is_const_v<T> && !one_column_matrix<S>())
  {
    if (values.size() != S::size)
      throw shape_error("tapeless: assigning " + std::to_string(values.size()) + " values to a " +
                        shape_string<S>() + " view that holds " + std::to_string(S::size));
    std::size_t i = 0;
    for (const value_type& v : values) data_[i++] = v;
    return *this;
  }

  // `P.get<"W1">() = {{1, -1}, {0.5, 2}}`: one list per row.
  const tensor_view& operator=(std::initializer_list<std::initializer_list<value_type>> rows) const
    requires(!std::is_const_v<T> && S::rank == 2)
  {
    bool fits = rows.size() == S::rows;
    for (const auto& row : rows) fits = fits && row.size() == S::cols;
    if (!fits)
      throw shape_error("tapeless: the nested list assigned to a " + shape_string<S>() +
                        " view does not have that many rows and columns");
    std::size_t i = 0;
    for (const auto& row : rows)
      for (const value_type& v : row) data_[i++] = v;
    return *this;
  }

  // Element-wise copy from another view of the same shape (any rank-0
  // shape counts as the same: a class label is a scalar to the sweeps).
  template <class U, class S2>
  const tensor_view& assign(const tensor_view<U, S2>& from) const
    requires(!std::is_const_v<T> && (std::is_same_v<S, S2> || (S::rank == 0 && S2::rank == 0)))
  {
    for (std::size_t i = 0; i < S::size; ++i) data_[i] = static_cast<value_type>(from[i]);
    return *this;
  }

 private:
  T* data_;
};

template <class T, shape_type S>
struct tensor {
  using value_type = T;
  using shape = S;

  std::array<T, S::size> elements{};

  static constexpr std::size_t size() noexcept { return S::size; }
  constexpr T* data() noexcept { return elements.data(); }
  constexpr const T* data() const noexcept { return elements.data(); }
  constexpr T* begin() noexcept { return elements.data(); }
  constexpr T* end() noexcept { return elements.data() + S::size; }
  constexpr const T* begin() const noexcept { return elements.data(); }
  constexpr const T* end() const noexcept { return elements.data() + S::size; }

  constexpr T& operator[](std::size_t i) noexcept { return elements[i]; }
  constexpr const T& operator[](std::size_t i) const noexcept { return elements[i]; }
  constexpr T& operator()(std::size_t row, std::size_t col) noexcept
    requires(S::rank == 2)
  {
    return elements[row * S::cols + col];
  }
  constexpr const T& operator()(std::size_t row, std::size_t col) const noexcept
    requires(S::rank == 2)
  {
    return elements[row * S::cols + col];
  }
  constexpr T& operator()(std::size_t channel, std::size_t row, std::size_t col) noexcept
    requires(S::rank == 3)
  {
    return elements[(channel * S::height + row) * S::width + col];
  }
  constexpr const T& operator()(std::size_t channel, std::size_t row, std::size_t col) const noexcept
    requires(S::rank == 3)
  {
    return elements[(channel * S::height + row) * S::width + col];
  }

  constexpr tensor_view<T, S> view() noexcept { return tensor_view<T, S>(elements.data()); }
  constexpr tensor_view<const T, S> view() const noexcept { return tensor_view<const T, S>(elements.data()); }

  friend constexpr bool operator==(const tensor&, const tensor&) = default;
};

}  // namespace tapeless
