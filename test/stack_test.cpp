// Large graphs off the stack (issue 11, part 1). The networks below need
// more than TAPELESS_STACK_LIMIT for their workspace or result, so the
// one-call entry points refuse them at compile time (compile_fail/
// stack_*.cpp check the messages); here they run through the engines that
// keep their workspace on the heap, one call each:
//   - a dense 2048 x 2048 float network (a 16 MiB gradient);
//   - two and three 16-channel convolutions on 16 x 64 x 64 images in double
//     (7 and 10 MiB of workspace);
// and batch_engine / batch_predictor objects made with std::make_unique.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/predict.hpp>
#include <tapeless/eval/sample_engine.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

// Small deterministic numbers in [-scale, scale).
template <class E>
void fill(E* p, std::size_t n, std::uint32_t seed, double scale) {
  std::uint32_t s = seed * 2654435761u + 1;
  for (std::size_t k = 0; k < n; ++k) {
    s = s * 1664525u + 1013904223u;
    p[k] = E((double(s >> 8) / double(1u << 24) * 2 - 1) * scale);
  }
}

template <class Loss>
constexpr bool one_call_fits = detail::reverse_stack_bytes<Loss, double, double> <= max_stack_bytes;

// ---- the networks -----------------------------------------------------------

constexpr auto dense_x = input<"x", vec<2048>>;
constexpr auto dense_logits = dense_x | nn::dense<"fc1", 2048> | nn::relu | nn::dense<"out", 10>;
constexpr auto dense_loss = nn::softmax_cross_entropy(dense_logits, input<"y", vec<10>>);
using dense_params = params<decltype(dense_loss), float>;

constexpr auto img = input<"x", image<16, 64, 64>>;
constexpr auto conv2_logits = img | nn::conv2d<"c1", 16, 3, 1, 1> | nn::relu | nn::conv2d<"c2", 16, 3, 1, 1> |
                              nn::relu | nn::avg_pool<4> | nn::flatten | nn::dense<"out", 10>;
constexpr auto conv2_loss = nn::softmax_cross_entropy(conv2_logits, input<"y", vec<10>>);
using conv2_params = params<decltype(conv2_loss), double>;

constexpr auto conv3_logits = img | nn::conv2d<"c1", 16, 3, 1, 1> | nn::relu | nn::conv2d<"c2", 16, 3, 1, 1> |
                              nn::relu | nn::conv2d<"c3", 16, 3, 1, 1> | nn::relu | nn::avg_pool<4> |
                              nn::flatten | nn::dense<"out", 10>;
constexpr auto conv3_loss = nn::softmax_cross_entropy(conv3_logits, input<"y", vec<10>>);
using conv3_params = params<decltype(conv3_loss), double>;

// What the one-call forms would keep on the stack: far above the limit.
static_assert(sizeof(dense_params) > std::size_t(16) << 20);
static_assert(sizeof(workspace<decltype(conv2_loss), double>) > std::size_t(6) << 20);
static_assert(sizeof(workspace<decltype(conv3_loss), double>) > std::size_t(10) << 20);
static_assert(!one_call_fits<decltype(conv2_loss)> && !one_call_fits<decltype(conv3_loss)>);

// The engine itself is a pointer; its workspace is on the heap.
static_assert(sizeof(sample_engine<decltype(conv3_loss), conv3_params>) == sizeof(void*));
static_assert(sample_engine<decltype(conv3_loss), conv3_params>::bytes ==
              sizeof(workspace<decltype(conv3_loss), double>));

// The gradient of f with respect to parameter entry k by central
// differences, on the engine's value.
template <class Engine, class P, class... B>
double central_difference(Engine& engine, P& params, std::size_t k, double h, const B&... bindings) {
  auto* p = params.data() + k;
  const auto saved = *p;
  *p = saved + h;
  const double up = double(engine.value(params, bindings...));
  *p = saved - h;
  const double down = double(engine.value(params, bindings...));
  *p = saved;
  return (up - down) / (2 * h);
}

}  // namespace

TEST_CASE("a dense 2048 x 2048 float network: value_and_grad_into through a sample_engine") {
  auto P = std::make_unique<dense_params>();
  auto G = std::make_unique<dense_params>();
  fill(P->data(), P->size(), 1, 0.03);
  std::vector<float> x(2048), y(10, 0.f);
  fill(x.data(), x.size(), 2, 1.0);
  y[3] = 1;
  const auto bx = bind<"x">(std::span<const float, 2048>(x.data(), 2048));
  const auto by = bind<"y">(std::span<const float, 10>(y.data(), 10));

  // Constructed as a local: the engine is one pointer.
  sample_engine<decltype(dense_loss), dense_params> engine;
  const float L = engine.value_and_grad_into(*P, *G, bx, by);
  CHECK(std::isfinite(L));
  CHECK(L > 0);
  CHECK(L == engine.value(*P, bx, by));

  // The workspace alone fits on the stack: the free value_and_grad_into
  // (its gradient buffer on the heap) gives the same bits.
  static_assert(detail::reverse_stack_bytes<decltype(dense_loss), float, float> <= max_stack_bytes);
  auto G2 = std::make_unique<dense_params>();
  CHECK(value_and_grad_into(dense_loss, *P, *G2, bx, by) == L);
  bool same = true;
  for (std::size_t k = 0; k < P->size(); ++k) same = same && G->data()[k] == G2->data()[k];
  CHECK(same);
  // The output bias's gradient is softmax(z) - y, which sums to 0 and is
  // negative only for the labelled class.
  const auto& db = G->get<"out.b">();
  double sum = 0;
  for (std::size_t k = 0; k < 10; ++k) sum += db[k];
  CHECK(std::abs(sum) < 1e-5);
  CHECK(db[3] < 0);
}

TEST_CASE("two convolutions on 16 x 64 x 64 images in double: every sample_engine method") {
  using loss_t = decltype(conv2_loss);
  auto P = std::make_unique<conv2_params>();
  auto G = std::make_unique<conv2_params>();
  fill(P->data(), P->size(), 3, 0.1);
  std::vector<double> x(16 * 64 * 64), y(10, 0.0);
  fill(x.data(), x.size(), 4, 1.0);
  y[7] = 1;
  const auto bx = bind<"x">(std::span<const double, 16 * 64 * 64>(x.data(), x.size()));
  const auto by = bind<"y">(std::span<const double, 10>(y.data(), 10));

  auto engine = std::make_unique<sample_engine<loss_t, conv2_params>>();
  const double L = engine->value_and_grad_into(*P, *G, bx, by);
  CHECK(std::isfinite(L));
  CHECK(L == engine->value(*P, bx, by));

  // value_into, for a value of any size.
  std::vector<double> v(1);
  engine->value_into(*P, v, bx, by);
  CHECK(v[0] == L);
  std::vector<double> wrong(2);
  CHECK_THROWS_AS(engine->value_into(*P, wrong, bx, by), shape_error);

  // Two gradient entries against central differences.
  for (const std::size_t k : {std::size_t(5), P->size() - 3}) {
    const double fd = central_difference(*engine, *P, k, 1e-5, bx, by);
    CHECK(G->data()[k] == doctest::Approx(fd).epsilon(1e-5));
  }

  // accumulate adds; the input gradient and the VJP with cotangent 1 agree.
  auto acc = std::make_unique<conv2_params>();
  acc->fill(1.0);
  CHECK(engine->value_and_grad_accumulate(*P, *acc, bx, by) == L);
  CHECK(acc->data()[5] == 1.0 + G->data()[5]);
  auto G3 = std::make_unique<conv2_params>();
  auto dx = std::make_unique<input_values<loss_t, double>>();
  auto dx2 = std::make_unique<input_values<loss_t, double>>();
  CHECK(engine->value_and_grad_into(*P, *G3, *dx, bx, by) == L);
  CHECK(G3->data()[5] == G->data()[5]);
  CHECK(engine->vjp_into(*P, 1.0, *G3, *dx2, bx, by) == L);
  CHECK(dx2->data()[100] == dx->data()[100]);
  CHECK(dx->get<"x">()[100] != 0.0);

  // jvp along a parameter direction: dP · ∇f.
  auto dP = std::make_unique<conv2_params>();
  dP->data()[5] = 1;
  const auto t = engine->jvp(*P, *dP, bx, by);
  CHECK(t.value == L);
  CHECK(t.tangent == doctest::Approx(G->data()[5]).epsilon(1e-12));
}

TEST_CASE("three convolutions on 16 x 64 x 64 images in double: value_and_grad_into through a sample_engine") {
  using loss_t = decltype(conv3_loss);
  auto P = std::make_unique<conv3_params>();
  auto G = std::make_unique<conv3_params>();
  fill(P->data(), P->size(), 5, 0.1);
  std::vector<double> x(16 * 64 * 64), y(10, 0.0);
  fill(x.data(), x.size(), 6, 1.0);
  y[0] = 1;
  const auto bx = bind<"x">(std::span<const double, 16 * 64 * 64>(x.data(), x.size()));
  const auto by = bind<"y">(std::span<const double, 10>(y.data(), 10));
  sample_engine<loss_t, conv3_params> engine;
  const double L = engine.value_and_grad_into(*P, *G, bx, by);
  CHECK(std::isfinite(L));
  const double fd = central_difference(engine, *P, 17, 1e-5, bx, by);
  CHECK(G->data()[17] == doctest::Approx(fd).epsilon(1e-5));
}

// A batch engine far larger than the stack limit (with AVX-512 lanes also
// larger than a thread's stack; NEON's narrower lanes make it about a
// quarter as large) made with std::make_unique: C++17 aligned new honours
// its 64-byte alignment, and it gives the sum of the one-sample gradients.
constexpr auto small_img = input<"x", image<16, 48, 48>>;
constexpr auto cnn_logits = small_img | nn::conv2d<"c1", 16, 3, 1, 1> | nn::relu | nn::avg_pool<4> | nn::flatten |
                            nn::dense<"out", 10>;
constexpr auto cnn_loss = nn::softmax_cross_entropy(cnn_logits, input<"y", vec<10>>);
using cnn_params = params<decltype(cnn_loss), float>;
using cnn_engine = batch_engine<decltype(cnn_loss), cnn_params>;
static_assert(sizeof(cnn_engine) > 8 * max_stack_bytes);
static_assert(alignof(cnn_engine) >= 64);

TEST_CASE("batch_engine and batch_predictor on the heap with std::make_unique") {
  auto engine = std::make_unique<cnn_engine>();
  CHECK(reinterpret_cast<std::uintptr_t>(engine.get()) % alignof(cnn_engine) == 0);
  auto engine2 = std::make_unique_for_overwrite<cnn_engine>();
  CHECK(reinterpret_cast<std::uintptr_t>(engine2.get()) % alignof(cnn_engine) == 0);

  cnn_params P;
  fill(P.data(), P.size(), 7, 0.2);
  constexpr std::size_t n = 3, per = 16 * 48 * 48;
  std::vector<float> xs(n * per), ys(n * 10, 0.f);
  fill(xs.data(), xs.size(), 8, 1.0);
  for (std::size_t s = 0; s < n; ++s) ys[s * 10 + s] = 1;
  auto G = std::make_unique<cnn_params>();
  const float L = engine->value_and_grad_into(P, *G, n, bind<"x">(aos(xs)), bind<"y">(aos(ys)));
  CHECK(engine2->value(P, n, bind<"x">(aos(xs)), bind<"y">(aos(ys))) == doctest::Approx(L));

  sample_engine<decltype(cnn_loss), cnn_params> one;
  auto sum = std::make_unique<cnn_params>();
  double L1 = 0;
  for (std::size_t s = 0; s < n; ++s)
    L1 += one.value_and_grad_accumulate(P, *sum, bind<"x">(std::span<const float, per>(xs.data() + s * per, per)),
                                        bind<"y">(std::span<const float, 10>(ys.data() + s * 10, 10)));
  CHECK(L == doctest::Approx(L1).epsilon(1e-5));
  for (const std::size_t k : {std::size_t(0), std::size_t(100), P.size() - 1})
    CHECK(G->data()[k] == doctest::Approx(sum->data()[k]).epsilon(1e-4).scale(1e-3));

  using predictor_t = batch_predictor<decltype(cnn_logits), cnn_params>;
  static_assert(sizeof(predictor_t) > max_stack_bytes);
  auto predictor = std::make_unique<predictor_t>();
  std::vector<float> z(n * 10);
  predictor->value_into(P, n, z, bind<"x">(aos(xs)));
  sample_engine<decltype(cnn_logits), cnn_params> logits_engine;
  const auto z0 = logits_engine.value(P, bind<"x">(std::span<const float, per>(xs.data(), per)));
  CHECK(z[3] == doctest::Approx(z0[3]).epsilon(1e-5));
}

// value_and_grad_batch on the digits MLP: with wide registers (AVX-512)
// the default engine passes the limit, and the one-call form narrows its
// pack until it fits; the result is the heap engine's up to float
// summation order.
constexpr auto mlp_loss = nn::softmax_cross_entropy(
    input<"x", vec<64>> | nn::dense<"fc1", 64> | nn::relu | nn::dense<"out", 10>, input<"y", vec<10>>);
using mlp_params = params<decltype(mlp_loss), float>;

TEST_CASE("value_and_grad_batch narrows its pack to fit within the stack limit") {
  mlp_params P;
  fill(P.data(), P.size(), 9, 0.2);
  constexpr std::size_t n = 37;
  std::vector<float> xs(n * 64), ys(n * 10, 0.f);
  fill(xs.data(), xs.size(), 10, 1.0);
  for (std::size_t s = 0; s < n; ++s) ys[s * 10 + s % 10] = 1;
  const auto [L, G] = value_and_grad_batch(mlp_loss, P, n, bind<"x">(aos(xs)), bind<"y">(aos(ys)));
  auto engine = std::make_unique<batch_engine<decltype(mlp_loss), mlp_params>>();
  auto G2 = std::make_unique<mlp_params>();
  const float L2 = engine->value_and_grad_into(P, *G2, n, bind<"x">(aos(xs)), bind<"y">(aos(ys)));
  CHECK(L == doctest::Approx(L2).epsilon(1e-5));
  for (std::size_t k = 0; k < P.size(); k += 97) CHECK(G.data()[k] == doctest::Approx(G2->data()[k]).scale(1e-3));
  CHECK(value_batch(mlp_loss, P, n, bind<"x">(aos(xs)), bind<"y">(aos(ys))) == doctest::Approx(L2).epsilon(1e-5));
}
