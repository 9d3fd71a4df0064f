// train::fit on any loss over named columns: a regression trains and is
// reproducible, the evaluation hook's metrics reach the progress line, and
// bad data (columns of different sample counts, a class label out of
// range) throws before the parameters or the optimizer change.

#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/init/init.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<1>>;
constexpr auto net = x | nn::dense<"h", 16> | nn::tanh | nn::dense<"out", 1>;
constexpr auto loss = nn::half_squared_error(net, input<"y", vec<1>>);
using P_t = params<decltype(loss), float>;

struct curve {
  std::vector<float> xs, ys;
  explicit curve(std::size_t n) : xs(n), ys(n) {
    for (std::size_t i = 0; i < n; ++i) {
      xs[i] = -2.0f + 4.0f * float(i) / float(n - 1);
      ys[i] = std::sin(2 * xs[i]);
    }
  }
};

double mse(const P_t& P, const curve& c) {
  double total = 0;
  for (std::size_t i = 0; i < c.xs.size(); ++i) {
    const auto yhat = value(net, P, bind<"x">(std::array{c.xs[i]}));
    total += (double(yhat[0]) - c.ys[i]) * (double(yhat[0]) - c.ys[i]);
  }
  return total / double(c.xs.size());
}
}  // namespace

TEST_CASE("train::fit: a regression on named columns learns, reproducibly, and prints the hook's metrics") {
  const curve data(200), test(57);
  auto run = [&] {
    P_t P;
    init::initialize(P, init::glorot_uniform, 3);
    adam<P_t> optimizer({.lr = 1e-2f});
    std::ostringstream progress;
    const auto history = train::fit(loss, P, optimizer,
                                    train::samples(train::column<"x">(data.xs), train::column<"y">(data.ys)),
                                    {.epochs = 150, .batch_size = 16, .seed = 9, .progress = &progress},
                                    [&](train::epoch_report& r) { r.metrics = "test mse " + std::to_string(mse(P, test)); });
    return std::tuple{P, history, progress.str()};
  };
  const auto [p1, h1, log1] = run();
  const auto [p2, h2, log2] = run();
  CHECK(p1 == p2);  // same seed: same weights, bit for bit
  REQUIRE(h1.size() == 150);
  CHECK(h1.back().mean_loss < 0.1 * h1.front().mean_loss);
  CHECK(mse(p1, test) < 0.01);
  CHECK(log1.find("epoch   1/150  loss ") == 0);
  CHECK(log1.find("  test mse ") != std::string::npos);
  CHECK(h1.back().metrics.rfind("test mse ", 0) == 0);
}

TEST_CASE("train::fit: columns of different sample counts throw shape_error before anything changes") {
  const curve data(50);
  std::vector<float> short_y(data.ys.begin(), data.ys.end() - 1);
  P_t P;
  init::initialize(P, init::glorot_uniform, 3);
  const P_t before = P;
  adam<P_t> optimizer({.lr = 1e-2f});
  CHECK_THROWS_WITH_AS(
      train::fit(loss, P, optimizer, train::samples(train::column<"x">(data.xs), train::column<"y">(short_y)),
                 {.epochs = 1}),
      "tapeless: train::fit: column 'y' holds 49 samples, the first column 50", shape_error);
  CHECK(P == before);
  // A column whose size is not whole samples of its input is named by the batch check.
  std::vector<float> ragged(7);
  constexpr auto wide = nn::half_squared_error(input<"x", vec<2>> | nn::dense<"o", 1>, input<"y", vec<1>>);
  params<decltype(wide), float> Q;
  adam<decltype(Q)> q_opt({.lr = 1e-2f});
  CHECK_THROWS_AS(train::fit(wide, Q, q_opt, train::samples(train::column<"x">(ragged), train::column<"y">(ragged)),
                             {.epochs = 1}),
                  shape_error);
}

TEST_CASE("train::fit: class labels are checked before the first step") {
  constexpr auto logits = input<"x", vec<2>> | nn::dense<"o", 3>;
  constexpr auto ce = nn::softmax_cross_entropy(logits, input<"y", class_index<3>>);
  using Q_t = params<decltype(ce), float>;
  const std::vector<float> xs{0, 1, 1, 0, 1, 1, 0, 0};
  const std::vector<float> good{0, 1, 2, 1}, bad{0, 1, 3, 1};
  Q_t Q;
  init::initialize(Q, init::glorot_uniform, 1);
  const Q_t before = Q;
  adam<Q_t> optimizer({.lr = 1e-2f});
  CHECK_THROWS_WITH_AS(
      train::fit(ce, Q, optimizer, train::samples(train::column<"x">(xs), train::column<"y">(bad)), {.epochs = 1}),
      "tapeless: label 'y' (class_index<3>) holds 3 for sample 2: a class label must be an integer in [0, 3)",
      label_error);
  CHECK(Q == before);
  const auto h =
      train::fit(ce, Q, optimizer, train::samples(train::column<"x">(xs), train::column<"y">(good)), {.epochs = 3});
  CHECK(h.size() == 3);
  CHECK(!(Q == before));
}
