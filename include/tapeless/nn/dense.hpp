#pragma once
// dense<"fc1", Out>: y = W x + b with parameters "fc1.W" (mat<Out, In>)
// and "fc1.b" (vec<Out>); In is the input's length. dense_no_bias<"fc1",
// Out> is W x alone.

#include <cstddef>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/nn/layer.hpp>
#include <tapeless/ops/add.hpp>
#include <tapeless/ops/mul.hpp>

namespace tapeless::nn {

template <class Shape>
struct dense_needs_a_vector_input {
  static constexpr bool value = false;
};

template <fixed_string Name, std::size_t Out, bool Bias>
struct dense_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    using S = typename X::shape;
    if constexpr (invalid<X>) {
      return x;  // an earlier error was reported; add no second one
    } else if constexpr (S::rank != 1) {
      static_assert(dense_needs_a_vector_input<S>::value,
                    "tapeless: dense<name, out>(x) needs a vector x; flatten a matrix first (x's shape is the "
                    "template argument above)");
      return x;
    } else {
      constexpr auto W = param<joined_name<Name, ".W">, mat<Out, S::size>>;
      if constexpr (Bias)
        return W * x + param<joined_name<Name, ".b">, vec<Out>>;
      else
        return W * x;
    }
  }
};

template <fixed_string Name, std::size_t Out>
inline constexpr dense_layer<Name, Out, true> dense{};
template <fixed_string Name, std::size_t Out>
inline constexpr dense_layer<Name, Out, false> dense_no_bias{};

}  // namespace tapeless::nn
