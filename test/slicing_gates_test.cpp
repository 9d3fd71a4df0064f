// Slicing, indexing, joining and reshaping inside a model: an LSTM-style
// gate split through parameters against central differences, in forward
// mode and second order; the batch engine against the scalar path, in both
// of its schedules. (Each op's laws are in ops_slicing_test.cpp.)

#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <tuple>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/core.hpp>
#include <tapeless/util/gradcheck.hpp>

#include "fixtures.hpp"

using namespace tapeless;

namespace {

// An LSTM cell's gates from one product: W x + b (4n entries) split into
// four slices. The extra terms slice, index, join and reshape parameters.
constexpr std::size_t n = 3;
constexpr auto gx = input<"x", vec<2>>;
constexpr auto c_prev = input<"c", vec<n>>;
constexpr auto W = param<"W", mat<4 * n, 2>>;
constexpr auto bias = param<"b", vec<4 * n>>;
constexpr auto U = param<"U", mat<2, n>>;
constexpr auto v = param<"v", vec<4>>;

constexpr auto z = W * gx + bias;
constexpr auto in_gate = sigmoid(slice<0, n>(z));
constexpr auto forget_gate = sigmoid(slice<n, n>(z));
constexpr auto candidate = tanh(slice<2 * n, n>(z));
constexpr auto out_gate = sigmoid(slice<3 * n, n>(z));
constexpr auto cell = forget_gate * c_prev + in_gate * candidate;
constexpr auto h = out_gate * tanh(cell);
constexpr auto gate_loss = sum(h) + dot(row<1>(U), h) + at<0, 2>(U) * at<3>(v) + dot(col<1>(U), slice<1, 2>(v)) +
                           sum(square(hadamard(stack(h, cell), reshape<mat<2, n>>(concat(slice<0, 2>(v), at<3>(v), h)))));

// The same cell written without the ops under test, entry by entry.
double gate_reference(const params<decltype(gate_loss), double>& P, const std::array<double, 2>& xv,
                      const std::array<double, n>& cv) {
  const auto Wv = P.get<"W">();
  const auto bv = P.get<"b">();
  const auto Uv = P.get<"U">();
  const auto vv = P.get<"v">();
  auto sig = [](double t) { return 1 / (1 + std::exp(-t)); };
  std::array<double, 4 * n> zv{};
  for (std::size_t r = 0; r < 4 * n; ++r) zv[r] = Wv(r, 0) * xv[0] + Wv(r, 1) * xv[1] + bv[r];
  std::array<double, n> hv{}, cellv{};
  for (std::size_t k = 0; k < n; ++k) {
    cellv[k] = sig(zv[n + k]) * cv[k] + sig(zv[k]) * std::tanh(zv[2 * n + k]);
    hv[k] = sig(zv[3 * n + k]) * std::tanh(cellv[k]);
  }
  const std::array<double, 2 * n> joined_v{vv[0], vv[1], vv[3], hv[0], hv[1], hv[2]};
  double L = hv[0] + hv[1] + hv[2];
  for (std::size_t k = 0; k < n; ++k) L += Uv(1, k) * hv[k];
  L += Uv(0, 2) * vv[3] + Uv(0, 1) * vv[1] + Uv(1, 1) * vv[2];
  for (std::size_t k = 0; k < n; ++k) {
    L += std::pow(hv[k] * joined_v[k], 2);
    L += std::pow(cellv[k] * joined_v[n + k], 2);
  }
  return L;
}

}  // namespace

TEST_CASE("an LSTM-style gate split through parameters: value, gradient, forward mode, second order") {
  params<decltype(gate_loss), double> P;
  fixtures::randomize(P, 11, 0.8);
  const std::array<double, 2> xv{0.7, -1.3};
  const std::array<double, n> cv{0.5, -0.25, 1.5};

  CHECK(fixtures::mixed_error(value(gate_loss, P, bind<"x">(xv), bind<"c">(cv)), gate_reference(P, xv, cv)) <= 1e-14);

  // Reverse mode: every parameter and input entry against central differences.
  const auto report = gradcheck(gate_loss, P, bind<"x">(xv), bind<"c">(cv));
  INFO(report);
  CHECK(report.checked == P.size() + 2 + n);
  CHECK(report.ok(1e-8));

  // Forward mode along a random parameter direction: the directional
  // derivative, equal to ⟨∇L, dP⟩.
  params<decltype(gate_loss), double> dP;
  fixtures::randomize(dP, 12, 1.0);
  const auto [L, G] = value_and_grad(gate_loss, P, bind<"x">(xv), bind<"c">(cv));
  const auto forward = jvp(gate_loss, P, dP, bind<"x">(xv), bind<"c">(cv));
  CHECK(forward.value == L);
  double directional = 0;
  for (std::size_t k = 0; k < P.size(); ++k) directional += G.data()[k] * dP.data()[k];
  CHECK(fixtures::mixed_error(forward.tangent, directional) <= 1e-13);
  const double step = 1e-5;
  auto moved = [&](double t) {
    auto Q = P;
    for (std::size_t k = 0; k < P.size(); ++k) Q.data()[k] += t * dP.data()[k];
    return Q;
  };
  const double fd = (value(gate_loss, moved(step), bind<"x">(xv), bind<"c">(cv)) -
                     value(gate_loss, moved(-step), bind<"x">(xv), bind<"c">(cv))) /
                    (2 * step);
  CHECK(fixtures::mixed_error(forward.tangent, fd) <= 1e-8);

  // Second order: the adjoint rules on dual numbers give H dP, against
  // central differences of the gradient along dP.
  const auto second = hvp(gate_loss, P, dP, bind<"x">(xv), bind<"c">(cv));
  CHECK(second.value == L);
  const auto up = value_and_grad(gate_loss, moved(step), bind<"x">(xv), bind<"c">(cv)).grad;
  const auto down = value_and_grad(gate_loss, moved(-step), bind<"x">(xv), bind<"c">(cv)).grad;
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(fixtures::mixed_error(second.grad.data()[k], G.data()[k]) <= 1e-14);
    CHECK(fixtures::mixed_error(second.hvp.data()[k], (up.data()[k] - down.data()[k]) / (2 * step)) <= 1e-7);
  }
}

namespace {

// A graph small enough for the batch engine's in-register schedule.
constexpr auto t3 = input<"t", vec<3>>;
constexpr auto p2 = param<"p", vec<2>>;
constexpr auto tiny_loss = square(at<0>(t3) * at<1>(p2) - at<2>(t3)) + at<0>(p2) * sum(slice<1, 2>(t3));

template <class E>
constexpr double batch_tolerance = std::is_same_v<E, float> ? 2e-5 : 1e-12;

// The batch engine's loss and gradient against the scalar path summed
// over the same samples (in double). sample(k) gives sample k's bindings
// in double, batch() the batch bindings.
template <class E, class Loss, class Sample, class Batch>
void check_batch(Loss loss, std::size_t count, Sample sample, Batch batch) {
  params<Loss, E> P;
  fixtures::randomize(P, 21, 0.8);
  params<Loss, double> Pd, Gref;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = double(P.data()[k]);
  Gref.fill(0);
  double Lref = 0, scale = 1;
  for (std::size_t k = 0; k < count; ++k)
    std::apply(
        [&](const auto&... bindings) {
          Lref += value_and_grad_accumulate(loss, Pd, Gref, bindings...);
          scale += std::abs(value(loss, Pd, bindings...));
        },
        sample(k));
  const auto [L, G] =
      std::apply([&](const auto&... bindings) { return value_and_grad_batch(loss, P, count, bindings...); }, batch());
  CHECK(double(L) == doctest::Approx(Lref).epsilon(batch_tolerance<E>).scale(scale));
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(double(G.data()[k]) == doctest::Approx(Gref.data()[k]).epsilon(batch_tolerance<E>).scale(scale));
  }
}

// Sample k of a sample-major array as N doubles.
template <std::size_t N, class E>
std::array<double, N> sample_of(const std::vector<E>& data, std::size_t k) {
  std::array<double, N> out{};
  for (std::size_t e = 0; e < N; ++e) out[e] = double(data[k * N + e]);
  return out;
}

}  // namespace

TEST_CASE("the batch engine agrees with the scalar path, tails included") {
  // Both schedules: the gate graph (in float) runs op by op over chunks of
  // samples, the tiny one (in double) one register at a time with
  // everything in registers.
  using gate_engine = batch_engine<decltype(gate_loss), params<decltype(gate_loss), float>>;
  using tiny_engine = batch_engine<decltype(tiny_loss), params<decltype(tiny_loss), double>>;
  static_assert(!gate_engine::in_registers);
  static_assert(tiny_engine::in_registers);
  std::mt19937 rng(31);
  std::uniform_real_distribution<double> u(-2, 2);
  for (const std::size_t count : {std::size_t{1}, gate_engine::lanes - 1, gate_engine::lanes + 3, std::size_t{97}}) {
    CAPTURE(count);
    std::vector<float> xs(2 * count), cs(n * count);
    for (float& e : xs) e = float(u(rng));
    for (float& e : cs) e = float(u(rng));
    check_batch<float>(
        gate_loss, count,
        [&](std::size_t k) {
          return std::make_tuple(bind<"x">(sample_of<2>(xs, k)), bind<"c">(sample_of<n>(cs, k)));
        },
        [&] { return std::make_tuple(bind<"x">(aos(xs)), bind<"c">(aos(cs))); });
  }
  for (const std::size_t count : {std::size_t{1}, tiny_engine::lanes + 1, std::size_t{97}}) {
    CAPTURE(count);
    std::vector<double> ts(3 * count);
    for (double& e : ts) e = u(rng);
    check_batch<double>(
        tiny_loss, count, [&](std::size_t k) { return std::make_tuple(bind<"t">(sample_of<3>(ts, k))); },
        [&] { return std::make_tuple(bind<"t">(aos(ts))); });
  }
}
