// Compile-time benchmark: network M (16-32-32-1) through both the scalar
// and the SIMD batch path, as in the benchmark binary.
#include <array>
#include <cstdio>
#include <vector>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

constexpr auto x = input<"x", vec<16>>;
constexpr auto h1 = relu(param<"W0", mat<32, 16>> * x + param<"b0", vec<32>>);
constexpr auto h2 = relu(param<"W1", mat<32, 32>> * h1 + param<"b1", vec<32>>);
constexpr auto yhat = param<"W2", mat<1, 32>> * h2 + param<"b2", vec<1>>;
constexpr auto loss = 0.5_c * sum(square(yhat - input<"y", vec<1>>));

int main() {
  params<decltype(loss), float> P, G;
  P.fill(0.01f);
  const std::vector<float> xs(16 * 100, 0.5f), ys(100, 1.0f);
  batch_engine<decltype(loss), decltype(P)> engine;
  const float Lb = engine.value_and_grad_into(P, G, 100, bind<"x">(xs), bind<"y">(ys));
  const std::array<float, 16> xv{};
  const std::array<float, 1> yv{};
  const auto [L, G1] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(yv));
  std::printf("%g %g\n", double(Lb), double(L + G1.data()[0]));
}
