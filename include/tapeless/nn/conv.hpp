#pragma once
// Convolution and pooling layers for images (image<C, H, W>).
//
//   constexpr auto net = nn::conv2d<"c1", 8, 3, 1, 1> | nn::relu | nn::max_pool<2>
//                      | nn::flatten | nn::dense<"out", 10>;
//
// conv2d<"c1", Out, K, Stride = 1, Padding = 0>: y = conv2d<K, Stride,
// Padding>(W, x) + b per channel, with parameters "c1.W" (mat<Out, C·K·K>,
// row o = filter o laid out [c][p][q], PyTorch's weight[Out][C][K][K]
// flattened) and "c1.b" (vec<Out>); C is the input's channel count.
// conv2d_no_bias<...> has no "c1.b". Initializers treat "c1.W" as a matrix,
// so its fan-in is C·K·K (PyTorch's) and its fan-out Out (PyTorch: Out·K·K).
// max_pool<K, Stride = K>, avg_pool<K, Stride = K>: pooling windows
// (ops/max_pool2d.hpp has the tie rule). flatten: an image (or matrix) to a
// vector, for a dense layer.

#include <cstddef>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/nn/layer.hpp>
#include <tapeless/ops/avg_pool2d.hpp>
#include <tapeless/ops/conv2d.hpp>
#include <tapeless/ops/flatten.hpp>
#include <tapeless/ops/max_pool2d.hpp>

namespace tapeless::nn {

template <class Shape>
struct conv2d_needs_an_image_input {
  static constexpr bool value = false;
};

template <fixed_string Name, std::size_t Out, std::size_t Kernel, std::size_t Stride, std::size_t Padding, bool Bias>
struct conv2d_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    using S = typename X::shape;
    if constexpr (invalid<X>) {
      return x;
    } else if constexpr (S::rank != 3) {
      static_assert(conv2d_needs_an_image_input<S>::value,
                    "tapeless: nn::conv2d<name, out, kernel, stride, padding>(x) needs an image x (image<C, H, W>); "
                    "x's shape is the template argument above");
      return detail::invalid_expression{};
    } else {
      constexpr auto W = param<joined_name<Name, ".W">, mat<Out, S::channels * Kernel * Kernel>>;
      if constexpr (Bias)
        return tapeless::conv2d<Kernel, Stride, Padding>(W, x, param<joined_name<Name, ".b">, vec<Out>>);
      else
        return tapeless::conv2d<Kernel, Stride, Padding>(W, x);
    }
  }
};

template <fixed_string Name, std::size_t Out, std::size_t Kernel, std::size_t Stride = 1, std::size_t Padding = 0>
inline constexpr conv2d_layer<Name, Out, Kernel, Stride, Padding, true> conv2d{};
template <fixed_string Name, std::size_t Out, std::size_t Kernel, std::size_t Stride = 1, std::size_t Padding = 0>
inline constexpr conv2d_layer<Name, Out, Kernel, Stride, Padding, false> conv2d_no_bias{};

template <std::size_t K, std::size_t Stride>
struct max_pool_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::max_pool2d<K, Stride>(x);
  }
};
template <std::size_t K, std::size_t Stride>
struct avg_pool_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::avg_pool2d<K, Stride>(x);
  }
};
struct flatten_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::flatten(x);
  }
};

template <std::size_t K, std::size_t Stride = K>
inline constexpr max_pool_layer<K, Stride> max_pool{};
template <std::size_t K, std::size_t Stride = K>
inline constexpr avg_pool_layer<K, Stride> avg_pool{};
inline constexpr flatten_layer flatten{};

}  // namespace tapeless::nn
