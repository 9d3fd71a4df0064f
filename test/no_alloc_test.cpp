// value(...) and value_and_grad(...) never touch the heap: global operator
// new is replaced and counted. This is its own executable so that the
// replacement cannot hide allocations elsewhere in the suite.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/eval/trajectory.hpp>
#include <tapeless/core.hpp>

namespace {
std::size_t heap_allocations = 0;
}

void* operator new(std::size_t n) {
  ++heap_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y", scalar>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto loss = 0.5_c * square(dot(w2, relu(W1* x + b1)) + b2 - y);

// A deeper, shared graph: 16 residual tanh blocks on width 8.
template <std::size_t I, class H>
constexpr auto residual_stack(H h) {
  if constexpr (I == 16) {
    return 0.5_c * sum(square(h));
  } else {
    constexpr auto W = param<indexed_name<"W", I>, mat<8, 8>>;
    constexpr auto b = param<indexed_name<"b", I>, vec<8>>;
    return residual_stack<I + 1>(h + tanh(W * h + b));
  }
}
constexpr auto deep = residual_stack<0>(input<"h", vec<8>>);
}  // namespace

TEST_CASE("value and value_and_grad do not allocate") {
  params<decltype(loss), double> P;
  P.get<"W1">() = {{1, -1}, {0.5, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5;
  params<decltype(loss), double> G;
  const std::array<double, 2> xv{2, -1};

  const std::size_t before = heap_allocations;
  double total = 0;
  for (int i = 0; i < 100; ++i) {
    total += value(loss, P, bind<"x">(xv), bind<"y">(1.0));
    auto [L, dP] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(1.0));
    total += L + dP.get<"b2">();
    total += value_and_grad_into(loss, P, G, bind<"x">(xv), bind<"y">(1.0));
    total += value_and_grad(loss, P, wrt_inputs, bind<"x">(xv), bind<"y">(1.0)).input_grad.get<"x">()[0];
  }
  CHECK(heap_allocations == before);
  CHECK(total == doctest::Approx(100 * (3 * 3.125 + 2.5 + 2.5)));
}

TEST_CASE("a 16-block residual stack does not allocate either") {
  params<decltype(deep), float> P;
  float v = 0;
  for (float& p : P.span()) {
    v += 0.37f;
    p = (v - std::floor(v) - 0.5f) * 0.5f;
  }
  params<decltype(deep), float> G;
  const std::array<float, 8> h0{1, -1, 0.5f, 2, 0, -0.25f, 3, 1};
  const std::size_t before = heap_allocations;
  float total = 0;
  for (int i = 0; i < 10; ++i) total += value_and_grad_into(deep, P, G, bind<"h">(h0));
  CHECK(heap_allocations == before);
  CHECK(std::isfinite(total));
}

TEST_CASE("a batch gradient call does not allocate") {
  // Built without -march: this also runs the batch path on the baseline
  // instruction set (SSE2 on x86-64).
  params<decltype(loss), float> P;
  P.get<"W1">() = {{1, -1}, {0.5f, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5f;
  params<decltype(loss), float> G;
  static batch_engine<decltype(loss), params<decltype(loss), float>> engine;  // constructed before counting
  std::array<float, 2 * 101> xs{};
  std::array<float, 101> ys{};
  for (std::size_t s = 0; s < ys.size(); ++s) {
    xs[2 * s] = 2;
    xs[2 * s + 1] = -1;
    ys[s] = 1;
  }
  const std::size_t before = heap_allocations;
  float total = 0;
  for (int i = 0; i < 10; ++i) {
    total += engine.value_and_grad_into(P, G, ys.size(), bind<"x">(aos(xs)), bind<"y">(ys));
    total += value_and_grad_batch(loss, P, ys.size(), bind<"x">(aos(xs)), bind<"y">(ys)).value;
  }
  CHECK(heap_allocations == before);
  CHECK(total == doctest::Approx(20 * 101 * 3.125));
  CHECK(G.get<"b2">() == doctest::Approx(101 * 2.5));
}

TEST_CASE("jvp, jacobian, hvp and hessian do not allocate") {
  params<decltype(loss), double> P, V;
  P.get<"W1">() = {{1, -1}, {0.5, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5;
  V.fill(0.25);
  const std::array<double, 2> xv{2, -1}, dx{1, 0.5};
  tensor<double, mat<2, 3>> D{};
  D(0, 0) = D(1, 1) = D(0, 2) = 1;

  const std::size_t before = heap_allocations;
  double total = 0;
  for (int i = 0; i < 10; ++i) {
    total += jvp(loss, P, V, bind<"x">(xv), bind<"y">(1.0), tangent<"x">(dx)).tangent;
    total += jvp(loss, P, wrt<"x">, D, bind<"x">(xv), bind<"y">(1.0)).tangent(0, 2);
    total += jacobian<sweep_mode::forward>(loss, P, wrt<"x", "W1">, bind<"x">(xv), bind<"y">(1.0)).matrix(0, 1);
    total += jacobian<sweep_mode::reverse>(loss, P, wrt<"x", "W1">, bind<"x">(xv), bind<"y">(1.0)).matrix(0, 1);
    total += hvp(loss, P, V, bind<"x">(xv), bind<"y">(1.0), tangent<"x">(dx)).hvp.get<"b2">();
    total += hessian(loss, P, wrt<"x", "b1">, bind<"x">(xv), bind<"y">(1.0)).matrix(1, 2);
  }
  CHECK(heap_allocations == before);
  CHECK(std::isfinite(total));
}

TEST_CASE("adjoints through time allocate nothing beyond the caller's buffer") {
  constexpr auto s = input<"s", vec<2>>;
  constexpr auto u = input<"u", vec<1>>;
  constexpr auto problem =
      trajectory(param<"A", mat<2, 2>> * s + param<"B", mat<2, 1>> * u, 0.5_c * (dot(s, s) + dot(u, u)), dot(s, s));
  decltype(problem)::params_type<double> P, dP;
  P.get<"A">() = {{1, 0.1}, {0, 1}};
  P.get<"B">() = {{0.005}, {0.1}};
  // The caller's memory, sized before the call (std::array: a vector here
  // would be counted, and trips GCC's -Wmismatched-new-delete against the
  // replaced operator new).
  constexpr std::size_t T = 40;
  std::array<double, T> controls, d_controls{};
  controls.fill(0.1);
  std::array<double, problem.buffer_size(T)> stored;
  std::array<double, problem.buffer_size(T, checkpoints{6})> checkpointed;
  const std::array<double, 2> s0{1, 0};
  std::array<double, 2> d_s0{};

  const std::size_t before = heap_allocations;
  double total = problem.cost(P, s0, controls);
  total +=
      problem.cost_and_gradient(P, s0, controls, stored, {.params = &dP, .controls = d_controls, .initial_state = d_s0})
          .cost;
  total += problem
               .cost_and_gradient(P, s0, controls, checkpointed,
                                  {.params = &dP, .controls = d_controls, .initial_state = d_s0}, checkpoints{6})
               .cost;
  CHECK(heap_allocations == before);
  CHECK(std::isfinite(total));
}
