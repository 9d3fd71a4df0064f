#pragma once
// Gradient diagnostics: the L2 norm of every parameter's gradient, in
// buffer order, from one gradient buffer.
//
//   auto [L, G] = value_and_grad(loss, P, bind<"x">(x), bind<"y">(y));
//   for (auto& [name, norm] : train::gradient_norms(G)) std::cout << name << ' ' << norm << '\n';
//
// Norms that shrink layer after layer towards the input are vanishing
// gradients; norms that grow are exploding ones.

#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

namespace tapeless::train {

struct parameter_norm {
  std::string_view name;  // points into the buffer type's static layout
  double norm = 0;
};

template <class Buffer>
std::vector<parameter_norm> gradient_norms(const Buffer& G) {
  std::vector<parameter_norm> out;
  out.reserve(Buffer::leaf_count());
  for (const auto& leaf : Buffer::layout_info()) {
    double sum = 0;
    for (std::size_t k = 0; k < leaf.size; ++k) {
      const double v = double(G.data()[leaf.offset + k]);
      sum += v * v;
    }
    out.push_back({leaf.name, std::sqrt(sum)});
  }
  return out;
}

}  // namespace tapeless::train
