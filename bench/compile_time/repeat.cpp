// Compile-time benchmark: the residual stack of residual.cpp,
// h <- h + relu(W_i h + b_i) on width 16, written as one loop node
// (nn::repeat<N, "block">), TAPELESS_DEPTH blocks. The body is compiled
// once, so compile time should not depend on the depth. Every 32nd
// block's input is kept (checkpoint_every), so that value_and_grad's
// workspace stays on the stack at any depth.
#include <array>
#include <cstdio>
#include <memory>

#include <tapeless/core.hpp>

#ifndef TAPELESS_DEPTH
#define TAPELESS_DEPTH 32
#endif

using namespace tapeless;

constexpr auto block = [](auto h) { return h + nn::relu(nn::dense<"", 16>(h)); };
constexpr auto loss = 0.5_c * sum(square((input<"x", vec<16>> | nn::repeat<TAPELESS_DEPTH, "block">(block, checkpoint_every<32>)) -
                                         input<"y", vec<16>>));

int main() {
  using P_t = params<decltype(loss), float>;
  auto P = std::make_unique<P_t>();
  P->fill(1e-4f);
  auto G = std::make_unique<P_t>();
  const std::array<float, 16> x{1}, y{};
  const float L = value_and_grad_into(loss, *P, *G, bind<"x">(x), bind<"y">(y));
  std::printf("%g %g\n", double(L), double(G->data()[0]));
}
