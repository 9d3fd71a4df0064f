#pragma once
// Activations as layers (`dense<"fc1", 32> | nn::relu`), and gelu.
//
//   nn::relu, nn::leaky_relu, nn::tanh, nn::sigmoid, nn::softplus, nn::gelu,
//   nn::identity
//
// gelu uses the tanh approximation (Hendrycks and Gimpel, as PyTorch's
// approximate="tanh"):
//   gelu(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))
// built from existing ops, so its VJP and JVP are theirs.

#include <tapeless/core/expr.hpp>
#include <tapeless/nn/layer.hpp>
#include <tapeless/ops/ops.hpp>

namespace tapeless::nn {

template <expression X>
constexpr auto gelu_of(X x) {
  constexpr auto sqrt_2_over_pi = 0.7978845608028654_c;
  return 0.5_c * x * (1_c + tapeless::tanh(sqrt_2_over_pi * (x + 0.044715_c * x * square(x))));
}

struct relu_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::relu(x);
  }
};
struct leaky_relu_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::leaky_relu(x);
  }
};
struct tanh_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::tanh(x);
  }
};
struct sigmoid_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::sigmoid(x);
  }
};
struct softplus_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return tapeless::softplus(x);
  }
};
struct gelu_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return gelu_of(x);
  }
};
struct identity_layer : layer_tag {
  template <expression X>
  constexpr auto operator()(X x) const {
    return x;
  }
};

inline constexpr relu_layer relu{};
inline constexpr leaky_relu_layer leaky_relu{};
inline constexpr tanh_layer tanh{};
inline constexpr sigmoid_layer sigmoid{};
inline constexpr softplus_layer softplus{};
inline constexpr gelu_layer gelu{};
inline constexpr identity_layer identity{};

}  // namespace tapeless::nn
