// What the compiler built for the digits CNN of train_digits_cnn: the table
// of its nodes and totals (describe), a budget checked at compile time
// (graph_stats), and its graph in Graphviz DOT (to_dot).
//
//   graph_digits_cnn [digits_cnn.dot]
//   dot -Tsvg digits_cnn.dot -o digits_cnn.svg

#include <cstdio>
#include <fstream>
#include <iostream>

#include <tapeless/util/describe.hpp>

#include "digits_cnn.hpp"

using stats = tapeless::graph_stats<decltype(digits_cnn::loss)>;
// A budget a control loop might hold the network to: fewer than a million
// flops per training sample, a workspace under 64 KiB in float.
static_assert(stats::flops_value_and_grad < 1'000'000, "the digits CNN outgrew its flop budget");
static_assert(stats::bytes<float> < 64 * 1024, "the digits CNN outgrew its workspace budget");

int main(int argc, char** argv) {
  std::cout << tapeless::describe(digits_cnn::loss);
  const char* path = argc > 1 ? argv[1] : "digits_cnn.dot";
  std::ofstream file(path);
  file << tapeless::to_dot(digits_cnn::loss);
  if (!file.flush()) {
    std::fprintf(stderr, "graph_digits_cnn: cannot write %s\n", path);
    return 1;
  }
  std::printf("wrote %s\n", path);
  return 0;
}
