// A small CNN on the UCI handwritten digits: conv 3×3 (16 channels, zero
// padding) → ReLU → 2×2 max pooling → dense 64 → ReLU → dense 10, trained
// with Adam on the same fixed 80/20 split as train_digits.
//
//   train_digits_cnn [--epochs N] [--data path/to/digits.csv]

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/train/fit.hpp>

#include "digits_cnn.hpp"

#ifndef TAPELESS_DIGITS_CSV
#define TAPELESS_DIGITS_CSV "examples/data/digits.csv"
#endif

using namespace tapeless;

using digits_cnn::logits;
using digits_cnn::loss;

int main(int argc, char** argv) {
  std::size_t epochs = 30;
  std::string path = TAPELESS_DIGITS_CSV;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--epochs") epochs = std::size_t(std::atoi(argv[i + 1]));
    else if (flag == "--data") path = argv[i + 1];
  }
  try {
    auto digits = data::read_labeled_csv(path, 64, 10);
    data::scale_features(digits, 1.0f / 16);
    const auto parts = data::split(digits, 0.8, 2026);
    std::printf("digits: %zu training and %zu test samples\n", parts.train.size(), parts.test.size());

    auto P = std::make_unique<params<decltype(loss), float>>();
    init::initialize(*P, init::he_normal, 42);
    auto optimizer = std::make_unique<adam<params<decltype(loss), float>>>(adam_options{.lr = 3e-3});
    const auto history = train::fit_classifier(loss, logits, *P, *optimizer, parts.train, parts.test,
                                               {.epochs = epochs, .batch_size = 32, .seed = 1, .progress = &std::cout});
    std::printf("test accuracy %.2f%%\n", 100 * history.back().test_accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
