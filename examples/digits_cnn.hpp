#pragma once
// The digits CNN shared by train_digits_cnn and graph_digits_cnn: conv 3×3
// (16 channels, zero padding) → ReLU → 2×2 max pooling → dense 64 → ReLU →
// dense 10, softmax cross-entropy against the class label.

#include <tapeless/tapeless.hpp>

namespace digits_cnn {

inline constexpr auto x = tapeless::input<"x", tapeless::image<1, 8, 8>>;
inline constexpr auto logits = x | tapeless::nn::conv2d<"conv", 16, 3, 1, 1> | tapeless::nn::relu |
                               tapeless::nn::max_pool<2> | tapeless::nn::flatten | tapeless::nn::dense<"fc", 64> |
                               tapeless::nn::relu | tapeless::nn::dense<"out", 10>;
inline constexpr auto loss =
    tapeless::nn::softmax_cross_entropy(logits, tapeless::input<"y", tapeless::class_index<10>>);

}  // namespace digits_cnn
