// The sequence engine against the same LSTM unrolled into one expression:
// value_and_grad of the digits model of examples/sequence_digits (an LSTM of
// H = 32 units over T = 8 steps of 8 inputs, a dense head with softmax
// cross-entropy on the last state), float, 256 sequences per call.
//
//   sequence   sequence_engine (eval/sequence.hpp): the step's graph run T
//              times on lane packs, one register (16 sequences with AVX-512)
//              per sweep, the adjoint recursion one step at a time
//   unrolled   the 8 steps written out as one expression, nn::repeat<8>
//              (two-argument block), through batch_engine (default pack,
//              planned adjoints, register-blocked products)
//   one-by-one sequence_engine on plain floats, one sequence at a time
//
// Prints medians of 15 runs of 20 calls, in ns per sequence, and the
// sequence engine's time as a ratio to the unrolled one's (the faster of its
// two runs, one before and one after the others).
//
//   ninja -C build-bench bench/tapeless_sequence && taskset -c 0 build-bench/bench/tapeless_sequence
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr std::size_t H = 32, X = 8, T = 8, classes = 10, n = 256;
constexpr auto state = input<"s", vec<2 * H>>;
constexpr auto label = input<"y", class_index<classes>>;
constexpr auto head = [](auto s) { return nn::dense<"out", classes>(nn::lstm_hidden<H>(s)); };

constexpr auto model = sequence(nn::lstm_cell<"lstm", H>(input<"x", vec<X>>, state),
                                on_last_state(nn::softmax_cross_entropy(head(state), label)));
using seq_params = decltype(model)::params_type<float>;

// Step t reads its own input "x<t>"; s_0 is the input "s" bound to zeros.
constexpr auto unrolled_step = [](auto s, auto i) {
  return nn::lstm_cell<"lstm", H>(input<indexed_name<"x", decltype(i)::value>, vec<X>>, s);
};
constexpr auto unrolled = nn::softmax_cross_entropy(head(state | nn::repeat<T>(unrolled_step)), label);
using unrolled_params = params<decltype(unrolled), float>;

template <class F>
double median_ns_per_sequence(F&& call) {
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    const auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) call();
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / (20.0 * n));
  }
  std::sort(t.begin(), t.end());
  return t[7];
}
}  // namespace

int main() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  auto P = std::make_unique<seq_params>();
  auto Pu = std::make_unique<unrolled_params>();
  for (float& p : P->span()) p = u(rng);
  // The same weights by name.
  auto copy = [](auto to, auto from) { std::copy(from.span().begin(), from.span().end(), to.span().begin()); };
  copy(Pu->get<"lstm.W">(), P->get<"lstm.W">());
  copy(Pu->get<"lstm.U">(), P->get<"lstm.U">());
  copy(Pu->get<"lstm.b">(), P->get<"lstm.b">());
  copy(Pu->get<"out.W">(), P->get<"out.W">());
  copy(Pu->get<"out.b">(), P->get<"out.b">());

  std::vector<float> xs(n * T * X), ys(n), zeros(n * 2 * H, 0.0f);
  for (float& v : xs) v = u(rng);
  for (std::size_t i = 0; i < n; ++i) ys[i] = float(i % classes);
  // The unrolled graph's inputs: one array per step.
  std::vector<std::vector<float>> steps(T, std::vector<float>(n * X));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < T; ++t)
      std::copy_n(xs.begin() + std::ptrdiff_t((i * T + t) * X), X, steps[t].begin() + std::ptrdiff_t(i * X));

  auto lanes = std::make_unique<sequence_engine<decltype(model), seq_params>>();
  auto one = std::make_unique<sequence_engine<decltype(model), seq_params, float>>();
  auto batch = std::make_unique<batch_engine<decltype(unrolled), unrolled_params>>();
  auto G = std::make_unique<seq_params>();
  auto Gu = std::make_unique<unrolled_params>();
  float sink = 0;

  auto run_sequence = [&] { sink += lanes->value_and_grad_into(*P, *G, n, bind<"x">(xs), bind<"y">(ys)); };
  auto run_one = [&] { sink += one->value_and_grad_into(*P, *G, n, bind<"x">(xs), bind<"y">(ys)); };
  auto run_unrolled = [&] {
    sink += [&]<std::size_t... t>(std::index_sequence<t...>) {
      return batch->value_and_grad_into(*Pu, *Gu, n, bind<"s">(zeros), bind<"y">(ys),
                                        binding<name_of<indexed_name<"x", t>>, const std::vector<float>&>{steps[t]}...);
    }(std::make_index_sequence<T>{});
  };

  // The two must agree before their times mean anything.
  run_sequence();
  run_unrolled();
  const float L = lanes->value_and_grad_into(*P, *G, n, bind<"x">(xs), bind<"y">(ys));
  const float Lu = [&]<std::size_t... t>(std::index_sequence<t...>) {
    return batch->value_and_grad_into(*Pu, *Gu, n, bind<"s">(zeros), bind<"y">(ys),
                                      binding<name_of<indexed_name<"x", t>>, const std::vector<float>&>{steps[t]}...);
  }(std::make_index_sequence<T>{});
  float worst = 0;
  for (std::size_t k = 0; k < 4 * H * H; ++k)
    worst = std::max(worst, std::abs(G->get<"lstm.U">().span()[k] - Gu->get<"lstm.U">().span()[k]));
  std::printf("loss %.6f (unrolled %.6f), largest lstm.U gradient difference %.2g\n", double(L), double(Lu),
              double(worst));

  const double u1 = median_ns_per_sequence(run_unrolled);
  const double s = median_ns_per_sequence(run_sequence);
  const double o = median_ns_per_sequence(run_one);
  const double u2 = median_ns_per_sequence(run_unrolled);
  const double best = std::min(u1, u2);
  std::printf("per sequence (T = %zu, H = %zu, %zu per call): unrolled %.0f ns (again %.0f), sequence engine %.0f ns "
              "(%.2fx), one by one %.0f ns (%.2fx)  [checksum %g]\n",
              T, H, n, u1, u2, s, s / best, o, o / best, double(sink));
}
