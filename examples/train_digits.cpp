// Trains an MLP on the UCI handwritten digits (8×8 images, 10 classes) with
// Adam, printing one progress line per epoch, then saves nothing and
// reports the test accuracy on a fixed 80/20 split.
//
//   train_digits [--epochs N] [--data path/to/digits.csv]
//
// The network, the data pipeline and the training run are in
// digits_mlp.hpp, shared with fgsm_digits.

#include <cstdio>
#include <exception>
#include <iostream>

#include "digits_mlp.hpp"

int main(int argc, char** argv) {
  const auto args = digits_mlp::parse_command_line(argc, argv);
  try {
    const auto parts = digits_mlp::load_split(args.data);
    digits_mlp::parameters P;
    const auto history = digits_mlp::train(P, parts, args.epochs, &std::cout);
    std::printf("test accuracy %.2f%%\n", 100 * history.back().test_accuracy);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
