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

// Each activation is the op wrapped by as_layer (nn/layer.hpp).
inline constexpr auto relu = as_layer([](auto x) { return tapeless::relu(x); });
inline constexpr auto leaky_relu = as_layer([](auto x) { return tapeless::leaky_relu(x); });
inline constexpr auto tanh = as_layer([](auto x) { return tapeless::tanh(x); });
inline constexpr auto sigmoid = as_layer([](auto x) { return tapeless::sigmoid(x); });
inline constexpr auto softplus = as_layer([](auto x) { return tapeless::softplus(x); });
inline constexpr auto gelu = as_layer([](auto x) { return gelu_of(x); });
inline constexpr auto identity = as_layer([](auto x) { return x; });

}  // namespace tapeless::nn
