// Compile-time benchmark: value_and_grad of TAPELESS_DEPTH residual blocks
// h <- h + relu(W_i h + b_i) on width 16 (network R of the benchmarks).
#include <array>
#include <cstdio>

#include <tapeless/core.hpp>

#ifndef TAPELESS_DEPTH
#define TAPELESS_DEPTH 32
#endif

using namespace tapeless;

template <std::size_t I, class H>
constexpr auto blocks(H h) {
  if constexpr (I == TAPELESS_DEPTH) {
    return h;
  } else {
    constexpr auto W = param<indexed_name<"W", I>, mat<16, 16>>;
    constexpr auto b = param<indexed_name<"b", I>, vec<16>>;
    return blocks<I + 1>(h + relu(W * h + b));
  }
}
constexpr auto loss = 0.5_c * sum(square(blocks<0>(input<"x", vec<16>>) - input<"y", vec<16>>));

int main() {
  params<decltype(loss), float> P;
  P.fill(0.01f);
  const std::array<float, 16> x{1}, y{};
  const auto [L, G] = value_and_grad(loss, P, bind<"x">(x), bind<"y">(y));
  std::printf("%g %g\n", double(L), double(G.data()[0]));
}
