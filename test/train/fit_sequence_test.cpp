// train::fit on sequence models (eval/sequence.hpp): a GRU learns the sign of
// a sequence's sum from its last state, reproducibly; a loss on every step
// learns a running sum; bad data throws before anything changes.

#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/sequence.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

namespace {
constexpr std::size_t H = 8;
constexpr auto x = input<"x", vec<1>>;
constexpr auto h = input<"s", vec<H>>;
constexpr auto logits = nn::dense<"out", 2>(h);
constexpr auto sign_model =
    sequence(nn::gru_cell<"gru", H>(x, h), on_last_state(nn::softmax_cross_entropy(logits, input<"y", class_index<2>>)));
using P_t = decltype(sign_model)::params_type<float>;

// n sequences of T numbers in [-1, 1], labelled 1 when their sum is positive.
struct signs {
  std::vector<float> xs, ys;
  signs(std::size_t n, std::size_t T, unsigned seed) : xs(n * T), ys(n) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    for (std::size_t i = 0; i < n; ++i) {
      float sum = 0;
      for (std::size_t t = 0; t < T; ++t) sum += xs[i * T + t] = u(rng);
      ys[i] = sum > 0 ? 1.0f : 0.0f;
    }
  }
};

double accuracy(const P_t& P, const signs& d) {
  const std::size_t n = d.ys.size();
  auto engine = std::make_unique<sequence_engine<decltype(sign_model), P_t>>();
  std::vector<float> states(n * H);
  (void)engine->final_states_into(P, n, states, bind<"x">(d.xs), bind<"y">(d.ys));
  std::size_t right = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto z = value(logits, P, bind<"s">(std::span<const float, H>(states.data() + i * H, H)));
    right += (z[1] > z[0]) == (d.ys[i] > 0.5f);
  }
  return double(right) / double(n);
}

std::unique_ptr<P_t> initialized() {
  auto P = std::make_unique<P_t>();
  init::initialize(*P, init::glorot_uniform, 3);
  return P;
}
}  // namespace

TEST_CASE("train::fit: a GRU learns the sign of a sequence's sum from its last state, the same bits every run") {
  const std::size_t T = 6;
  const signs train_set(512, T, 1), test_set(256, T, 2);
  auto run = [&] {
    auto P = initialized();
    adam<P_t> optimizer({.lr = 1e-2});
    const auto history =
        train::fit(sign_model, *P, optimizer,
                   train::samples(train::sequences<"x">(train_set.xs, T), train::column<"y">(train_set.ys)),
                   {.epochs = 25, .batch_size = 32, .seed = 4});
    REQUIRE(history.size() == 25);
    CHECK(history.back().mean_loss < 0.5 * history.front().mean_loss);
    return P;
  };
  const auto first = run(), second = run();
  for (std::size_t k = 0; k < P_t::size(); ++k) CHECK(first->data()[k] == second->data()[k]);
  const double trained = accuracy(*first, test_set);
  MESSAGE("test accuracy " << trained);
  CHECK(trained > 0.9);

  // The same model reads sequences of another length.
  CHECK(accuracy(*first, signs(256, 11, 3)) > 0.8);
}

namespace {
// A loss on every step: x_t = (value, the running sum so far); the state
// after each step is read out and compared with the running sum.
constexpr auto sx = input<"x", vec<2>>;
constexpr auto step = nn::gru_cell<"gru", H>(slice<0, 1>(sx), h);
constexpr auto running_model =
    sequence(step, on_every_step(square(dot(param<"readout", vec<H>>, step) - at<1>(sx))));
using R_t = decltype(running_model)::params_type<float>;
}  // namespace

TEST_CASE("train::fit: a loss on every step learns a running sum") {
  const std::size_t n = 512, T = 5;
  std::vector<float> xs(n * T * 2);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (std::size_t i = 0; i < n; ++i) {
    float sum = 0;
    for (std::size_t t = 0; t < T; ++t) {
      xs[(i * T + t) * 2] = u(rng);
      sum += xs[(i * T + t) * 2];
      xs[(i * T + t) * 2 + 1] = sum;
    }
  }
  auto P = std::make_unique<R_t>();
  init::initialize(*P, init::glorot_uniform, 5);
  adam<R_t> optimizer({.lr = 1e-2});
  const auto history = train::fit(running_model, *P, optimizer, train::samples(train::sequences<"x">(xs, T)),
                                  {.epochs = 30, .batch_size = 32, .seed = 1});
  MESSAGE("mean loss per sequence " << history.front().mean_loss << " -> " << history.back().mean_loss);
  CHECK(history.back().mean_loss < 0.05 * history.front().mean_loss);
}

TEST_CASE("train::fit on sequences: bad data throws before the parameters change") {
  const std::size_t T = 4;
  const signs data(40, T, 1);
  auto P = initialized();
  const auto before = *P;
  adam<P_t> optimizer({.lr = 1e-2});
  auto unchanged = [&] {
    for (std::size_t k = 0; k < P_t::size(); ++k) CHECK(P->data()[k] == before.data()[k]);
  };
  const train::fit_options options{.epochs = 1};
  // Not whole sequences.
  CHECK_THROWS_AS(train::fit(sign_model, *P, optimizer,
                             train::samples(train::sequences<"x">(std::span(data.xs).first(data.xs.size() - 1), T),
                                            train::column<"y">(data.ys)),
                             options),
                  shape_error);
  // 40 sequences of 4 steps are 20 of 8: not the labels' 40 samples.
  CHECK_THROWS_AS(train::fit(sign_model, *P, optimizer,
                             train::samples(train::sequences<"x">(data.xs, 2 * T), train::column<"y">(data.ys)),
                             options),
                  shape_error);
  std::vector<float> bad_labels = data.ys;
  bad_labels[17] = 2;
  CHECK_THROWS_WITH_AS(train::fit(sign_model, *P, optimizer,
                                  train::samples(train::sequences<"x">(data.xs, T), train::column<"y">(bad_labels)),
                                  options),
                       doctest::Contains("for sample 17"), label_error);
  CHECK_THROWS_AS(train::sequences<"x">(data.xs, 0), std::invalid_argument);
  CHECK_THROWS_AS(train::fit(sign_model, *P, optimizer,
                             train::samples(train::sequences<"x">(data.xs, T), train::column<"y">(data.ys)),
                             {.epochs = 1, .threads = 2}),
                  std::invalid_argument);
  unchanged();
}
