// The loop node against the same stack unrolled: value_and_grad_into of the
// width-16 residual stack h <- h + relu(W_i h + b_i), 32 blocks, float, one
// sample per call, as nn::repeat<32>(two-argument block) (unrolled),
// nn::repeat<32, "block">(layer) (loop node, every block stored) and the
// loop node with checkpoint_every<8>. Prints medians of 15 runs of 20000
// calls each, and the loop node's times as ratios to the unrolled stack's
// (the faster of its two runs, one before and one after the others). Then
// the same on the batch engine (SIMD lanes, default pack): 256 samples per
// call, medians of 15 runs of 200 calls, ns per sample.
//
//   ninja -C build-bench bench/tapeless_loop_node && taskset -c 0 build-bench/bench/tapeless_loop_node
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>
#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr std::size_t D = 32;
constexpr auto x = input<"x", vec<16>>;
constexpr auto y = input<"y", vec<16>>;
constexpr auto ub = [](auto h, auto i) { return h + nn::relu(nn::dense<indexed_name<"block", decltype(i)::value>, 16>(h)); };
constexpr auto lb = [](auto h) { return h + nn::relu(nn::dense<"", 16>(h)); };
constexpr auto unrolled = 0.5_c * sum(square((x | nn::repeat<D>(ub)) - y));
constexpr auto looped = 0.5_c * sum(square((x | nn::repeat<D, "block">(lb)) - y));
constexpr auto looped8 = 0.5_c * sum(square((x | nn::repeat<D, "block">(lb, checkpoint_every<8>)) - y));
template <class F, class P>
double run(F f, const P& p, const std::array<float, 16>& xv, const std::array<float, 16>& yv, float& sink) {
  P g;
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) sink += value_and_grad_into(f, p, g, bind<"x">(xv), bind<"y">(yv)) + g.data()[i % P::size()];
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / 20000);
  }
  std::sort(t.begin(), t.end());
  return t[7];
}
template <class F, class P>
double run_batch(F, const P& p, const std::vector<float>& xs, const std::vector<float>& ys, float& sink) {
  auto engine = std::make_unique<batch_engine<F, P>>();
  auto g = std::make_unique<P>();
  const std::size_t n = xs.size() / 16;
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) sink += engine->value_and_grad_into(p, *g, n, bind<"x">(xs), bind<"y">(ys));
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / (200.0 * double(n)));
  }
  std::sort(t.begin(), t.end());
  return t[7];
}

int main() {
  params<decltype(unrolled), float> pu;
  params<decltype(looped), float> pl;
  for (std::size_t k = 0; k < pu.size(); ++k) pu.data()[k] = 0.01f * float(int(k % 13) - 6);
  std::memcpy(pl.data(), pu.data(), sizeof(float) * pu.size());
  std::array<float, 16> xv{}, yv{};
  for (int i = 0; i < 16; ++i) { xv[i] = 0.1f * float(i); yv[i] = 0.05f * float(i); }
  float sink = 0;
  const double tu = run(unrolled, pu, xv, yv, sink), tl = run(looped, pl, xv, yv, sink), t8 = run(looped8, pl, xv, yv, sink);
  const double tu2 = run(unrolled, pu, xv, yv, sink);
  std::printf("one sample: unrolled %.0f ns (again %.0f), loop stored %.0f ns (%.2fx), loop k=8 %.0f ns (%.2fx)\n", tu,
              tu2, tl, tl / std::min(tu, tu2), t8, t8 / std::min(tu, tu2));
  std::vector<float> xs(256 * 16), ys(256 * 16);
  for (std::size_t k = 0; k < xs.size(); ++k) {
    xs[k] = 0.01f * float(int(k % 17) - 8);
    ys[k] = 0.02f * float(int(k % 7) - 3);
  }
  const double bu = run_batch(unrolled, pu, xs, ys, sink), bl = run_batch(looped, pl, xs, ys, sink),
               b8 = run_batch(looped8, pl, xs, ys, sink), bu2 = run_batch(unrolled, pu, xs, ys, sink);
  std::printf("batch of 256, per sample: unrolled %.1f ns (again %.1f), loop stored %.1f ns (%.2fx), loop k=8 %.1f ns (%.2fx)  [checksum %g]\n",
              bu, bu2, bl, bl / std::min(bu, bu2), b8, b8 / std::min(bu, bu2), double(sink));
}
