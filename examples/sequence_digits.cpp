// Reads each 8×8 digit row by row, as a sequence of 8 steps of 8 pixels,
// with an LSTM, and classifies it from the LSTM's last hidden state.
//
//   sequence_digits [--epochs N] [--data path/to/digits.csv]
//
// The model is one LSTM cell of H units run over the rows (eval/sequence.hpp:
// parameters shared by every step, the gradient by the adjoint recursion
// through time, 16 sequences per AVX-512 sweep) with a dense head and
// softmax cross-entropy on the last state. train::fit trains it with Adam,
// one progress line per epoch; the last line is the test accuracy, which
// the test suite checks.

#include <cstddef>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <span>
#include <vector>

#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>

#include "digits_mlp.hpp"

namespace {

using namespace tapeless;

constexpr std::size_t H = 32, rows = 8, row_pixels = 8, classes = 10;
constexpr auto row = input<"x", vec<row_pixels>>;        // step t: row t of the image
constexpr auto state = input<"s", vec<2 * H>>;         // (h, c), zero at the first row
constexpr auto label = input<"y", class_index<classes>>;  // the digit
constexpr auto logits = nn::dense<"out", classes>(nn::lstm_hidden<H>(state));
constexpr auto model = sequence(nn::lstm_cell<"lstm", H>(row, state),
                                on_last_state(nn::softmax_cross_entropy(logits, label)));
using parameters = decltype(model)::params_type<float>;
using engine_t = sequence_engine<decltype(model), parameters>;

// The fraction of samples whose largest logit, read from the last state, is
// their label.
double accuracy(engine_t& engine, const parameters& P, const data::labeled_data& d) {
  const std::size_t n = d.size();
  std::vector<float> states(n * 2 * H), labels(d.labels.begin(), d.labels.end());
  (void)engine.final_states_into(P, n, states, bind<"x">(std::span<const float>(d.x.data(), n * rows * row_pixels)),
                                 bind<"y">(labels));
  std::size_t right = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto z = value(logits, P, bind<"s">(std::span<const float, 2 * H>(states.data() + i * 2 * H, 2 * H)));
    std::size_t best = 0;
    for (std::size_t k = 1; k < classes; ++k)
      if (z[k] > z[best]) best = k;
    right += best == std::size_t(d.labels[i]);
  }
  return n ? double(right) / double(n) : 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const auto args = digits_mlp::parse_command_line(argc, argv);
  const auto split = digits_mlp::load_split(args.data);

  auto P = std::make_unique<parameters>();
  init::initialize(*P, init::glorot_uniform, 7);
  // The forget gate starts open (bias 1), so that the first rows are
  // remembered from the start of training.
  for (std::size_t k = H; k < 2 * H; ++k) P->get<"lstm.b">()[k] = 1.0f;

  adam<parameters> optimizer({.lr = 1e-2});
  std::vector<float> labels(split.train.labels.begin(), split.train.labels.end());
  auto engine = std::make_unique<engine_t>();
  const auto history = train::fit(
      model, *P, optimizer,
      train::samples(train::sequences<"x">(split.train.x, rows), train::column<"y">(labels)),
      {.epochs = args.epochs, .batch_size = 32, .seed = 1, .progress = &std::cout}, [&](train::epoch_report& r) {
        r.test_accuracy = accuracy(*engine, *P, split.test);
        char text[48];
        std::snprintf(text, sizeof text, "test acc %.2f%%", 100 * r.test_accuracy);
        r.metrics = text;
      });
  std::printf("test accuracy %.2f%%\n", history.empty() ? 0.0 : 100 * history.back().test_accuracy);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sequence_digits: %s\n", e.what());
  return 1;
}
