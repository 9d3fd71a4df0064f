// Regression with train::fit: a 1-32-1 tanh network learns y = sin(2x) +
// x/2 on [-2, 2] from 400 noisy samples, trained on named columns of
// (x, y) pairs, with an evaluation hook that reports the error on a clean
// test grid after each epoch. Exits non-zero unless the test error ends
// below 0.01 (the noise alone has a mean square of 0.0025).

#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

constexpr auto x = input<"x", vec<1>>;
constexpr auto net = x | nn::dense<"hidden", 32> | nn::tanh | nn::dense<"out", 1>;
constexpr auto loss = nn::half_squared_error(net, input<"y", vec<1>>);

float truth(float v) { return std::sin(2 * v) + v / 2; }

int main() {
  std::mt19937 rng(2026);
  std::uniform_real_distribution<float> where(-2, 2);
  std::normal_distribution<float> noise(0, 0.05f);
  std::vector<float> xs(400), ys(400);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    xs[i] = where(rng);
    ys[i] = truth(xs[i]) + noise(rng);
  }
  std::vector<float> test_x(101);
  for (std::size_t i = 0; i < test_x.size(); ++i) test_x[i] = -2 + 4 * float(i) / 100;

  params<decltype(loss), float> P;
  init::initialize(P, init::glorot_uniform, 7);
  adam<decltype(P)> optimizer({.lr = 1e-2f});
  auto test_error = [&] {
    double total = 0;
    for (const float v : test_x) {
      const double e = double(value(net, P, bind<"x">(std::array{v}))[0]) - truth(v);
      total += e * e;
    }
    return total / double(test_x.size());
  };
  const auto history = train::fit(loss, P, optimizer, train::samples(train::column<"x">(xs), train::column<"y">(ys)),
                                  {.epochs = 100, .batch_size = 32, .seed = 1, .progress = &std::cout},
                                  [&](train::epoch_report& r) {
                                    char text[40];
                                    std::snprintf(text, sizeof text, "test mse %.5f", test_error());
                                    r.metrics = text;
                                  });
  const double final_error = test_error();
  std::printf("test mean squared error after %zu epochs: %.5f\n", history.size(), final_error);
  if (!(final_error < 0.01)) {
    std::printf("FAILED: expected below 0.01\n");
    return 1;
  }
  return 0;
}
