#pragma once
// Numbers and tensors as text, each number as the shortest decimal that
// reads back to the same value: 3.5, -2.5, 0.1 (not 0.10000000000000001).
//
//   to_string(3.5)                          "3.5"
//   to_string(tensor or view of vec<2>)     "[3, -2]"
//   to_string(tensor or view of mat<2, 2>)  "[[5, -2.5], [0, 0]]"
//   to_string(tensor or view of image<2, 1, 2>)  "[[[1, 2]], [[3, 4]]]"

#include <charconv>
#include <concepts>
#include <cstddef>
#include <ostream>
#include <string>
#include <system_error>

#include <tapeless/core/tensor.hpp>

namespace tapeless {

template <std::floating_point T>
std::string to_string(T value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc{} ? std::string(buffer, end) : std::string("?");
}

template <class T, class S>
std::string to_string(const tensor_view<T, S>& v) {
  std::string out;
  if constexpr (S::rank == 0) {
    out = to_string(v[0]);
  } else if constexpr (S::rank == 1) {
    out = "[";
    for (std::size_t i = 0; i < S::size; ++i) out += (i ? ", " : "") + to_string(v[i]);
    out += "]";
  } else if constexpr (S::rank == 2) {
    out = "[";
    for (std::size_t r = 0; r < S::rows; ++r) {
      out += r ? ", [" : "[";
      for (std::size_t c = 0; c < S::cols; ++c) out += (c ? ", " : "") + to_string(v(r, c));
      out += "]";
    }
    out += "]";
  } else {
    out = "[";
    for (std::size_t ch = 0; ch < S::channels; ++ch) {
      out += ch ? ", [" : "[";
      for (std::size_t r = 0; r < S::height; ++r) {
        out += r ? ", [" : "[";
        for (std::size_t c = 0; c < S::width; ++c) out += (c ? ", " : "") + to_string(v(ch, r, c));
        out += "]";
      }
      out += "]";
    }
    out += "]";
  }
  return out;
}

template <class T, class S>
std::string to_string(const tensor<T, S>& t) {
  return to_string(t.view());
}

template <class T, class S>
std::ostream& operator<<(std::ostream& os, const tensor_view<T, S>& v) {
  return os << to_string(v);
}
template <class T, class S>
std::ostream& operator<<(std::ostream& os, const tensor<T, S>& t) {
  return os << to_string(t);
}

}  // namespace tapeless
