#pragma once
// The MLP digits classifier shared by train_digits and fgsm_digits: the
// network, the data pipeline (pixels scaled to [0, 1], fixed 80/20 split)
// and the deterministic training run, so that both examples study the very
// same model.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <string_view>
#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/train/fit.hpp>
#include <vector>

#ifndef TAPELESS_DIGITS_CSV
#define TAPELESS_DIGITS_CSV "examples/data/digits.csv"
#endif

namespace digits_mlp {

// The network and its loss: 64 pixels -> 64 ReLU units -> 10 logits.
inline constexpr auto x = tapeless::input<"x", tapeless::vec<64>>;
inline constexpr auto label = tapeless::input<"y", tapeless::class_index<10>>;  // the class, 0-9
inline constexpr auto logits = x | tapeless::nn::dense<"fc1", 64> | tapeless::nn::relu | tapeless::nn::dense<"out", 10>;
inline constexpr auto loss = tapeless::nn::softmax_cross_entropy(logits, label);

using parameters = tapeless::params<decltype(loss), float>;

// The raw pixels are gray levels 0..16; the network sees them divided by 16.
inline constexpr float pixel_scale = 1.0f / 16;

// `--epochs N` and `--data path/to/digits.csv`, as both examples take them.
struct command_line {
  std::size_t epochs = 30;
  std::string data = TAPELESS_DIGITS_CSV;
};

// The word after `flag` on the command line (flags come in pairs), or
// nullptr.
inline const char* flag_value(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i + 1 < argc; i += 2)
    if (flag == argv[i]) return argv[i + 1];
  return nullptr;
}

// The number after `flag`, or `otherwise`.
inline std::size_t count_flag(int argc, char** argv, std::string_view flag, std::size_t otherwise) {
  const char* value = flag_value(argc, argv, flag);
  return value ? std::size_t(std::atoi(value)) : otherwise;
}

inline command_line parse_command_line(int argc, char** argv) {
  command_line out;
  out.epochs = count_flag(argc, argv, "--epochs", out.epochs);
  if (const char* data = flag_value(argc, argv, "--data")) out.data = data;
  return out;
}

// Reads the CSV, scales the pixels to [0, 1] and splits 80/20 with a fixed
// seed; prints the sizes of the two parts.
inline tapeless::data::split_data load_split(const std::string& path) {
  auto digits = tapeless::data::read_labeled_csv(path, 64, 10);
  tapeless::data::scale_features(digits, pixel_scale);
  auto parts = tapeless::data::split(digits, 0.8, 2026);
  std::printf("digits: %zu training and %zu test samples\n", parts.train.size(), parts.test.size());
  return parts;
}

// Trains P from a fixed initialisation with Adam: the same weights, bit for
// bit, on every run. One progress line per epoch when `progress` is set.
inline std::vector<tapeless::train::epoch_report> train(parameters& P, const tapeless::data::split_data& parts,
                                                        std::size_t epochs, std::ostream* progress) {
  tapeless::init::initialize(P, tapeless::init::he_normal, 42);
  tapeless::adam<parameters> optimizer({.lr = 3e-3});
  return tapeless::train::fit_classifier(loss, logits, P, optimizer, parts.train, parts.test,
                                         {.epochs = epochs, .batch_size = 32, .seed = 1, .progress = progress});
}

}  // namespace digits_mlp
