// Optimizers on the flat parameter buffer: one and three steps of each
// against the update formulas written out here, Adam's bias correction,
// momentum against Nesterov, Adam's L2 against AdamW's decoupled decay, the
// SIMD body against the tail bit for bit, gradient clipping, bad
// hyperparameters, no heap, and a few hundred steps on the seed network.

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>

// Counted, for the no-allocation check.
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

// A 3-5-1 tanh network: 15 + 5 + 5 + 1 = 26 parameters, not a multiple of
// any SIMD width (2 to 16 lanes), so every step runs a body and a tail.
constexpr auto x = input<"x", vec<3>>;
constexpr auto y = input<"y", scalar>;
constexpr auto net = 0.5_c * square(dot(param<"w2", vec<5>>, tanh(param<"W1", mat<5, 3>> * x + param<"b1", vec<5>>)) +
                                    param<"b2"> - y);
template <class T>
using net_params = params<decltype(net), T>;
constexpr std::size_t n = 26;
static_assert(net_params<float>::size() == n);

using reference = std::array<double, n>;

// Deterministic values: both signs, several magnitudes, some zeros.
template <class T>
net_params<T> pattern(int seed, double scale) {
  net_params<T> B;
  for (std::size_t i = 0; i < n; ++i) {
    const int k = int((i * 7 + std::size_t(seed) * 3) % 13) - 6;  // -6 .. 6
    B.data()[i] = T(scale * k / 4);
  }
  return B;
}

template <class T>
reference to_reference(const net_params<T>& B) {
  reference r;
  for (std::size_t i = 0; i < n; ++i) r[i] = double(B.data()[i]);
  return r;
}

template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 2e-6 : 1e-13;

template <class T>
void check_close(const net_params<T>& got, const reference& want) {
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(std::abs(double(got.data()[i]) - want[i]) <= tolerance<T> * (1 + std::abs(want[i])));
  }
}

// PyTorch's SGD, dampening 0: the velocity is g itself on the first step.
struct sgd_reference {
  reference v{};
  bool started = false;
  void step(reference& p, const reference& g0, const sgd_options& o) {
    for (std::size_t i = 0; i < n; ++i) {
      const double g = g0[i] + o.weight_decay * p[i];
      double d = g;
      if (o.momentum != 0) {
        v[i] = started ? o.momentum * v[i] + g : g;
        d = o.nesterov ? g + o.momentum * v[i] : v[i];
      }
      p[i] -= o.lr * d;
    }
    started = true;
  }
};

// Adam (decoupled = false) and AdamW (decoupled = true).
struct adam_reference {
  reference m{}, v{};
  int t = 0;
  template <class Options>
  void step(reference& p, const reference& g0, const Options& o, bool decoupled) {
    ++t;
    for (std::size_t i = 0; i < n; ++i) {
      double g = g0[i];
      if (decoupled)
        p[i] -= o.lr * o.weight_decay * p[i];
      else
        g += o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(o.beta1, t));
      const double v_hat = v[i] / (1 - std::pow(o.beta2, t));
      p[i] -= o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
  }
};

// Three steps, each with its own gradient; checked after the first and
// the third.
template <class T, class Optimizer, class Reference>
void against_reference(Optimizer&& opt, Reference reference_step) {
  auto P = pattern<T>(0, 1.0);
  auto p = to_reference(P);
  for (int k = 0; k < 3; ++k) {
    const auto G = pattern<T>(k + 1, 0.5 * (k + 1));
    opt.step(P, G);
    reference_step(p, to_reference(G));
    if (k == 0 || k == 2) {
      CAPTURE(k);
      check_close(P, p);
    }
  }
}

double sign(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }

}  // namespace

TEST_CASE_TEMPLATE("sgd: one and three steps against the formulas", T, float, double) {
  using B = net_params<T>;
  sgd_options o{.lr = 0.1};
  SUBCASE("plain") {}
  SUBCASE("plain, weight decay") { o.weight_decay = 0.05; }
  SUBCASE("momentum") { o.momentum = 0.9; }
  SUBCASE("momentum, weight decay") {
    o.momentum = 0.8;
    o.weight_decay = 0.05;
  }
  SUBCASE("nesterov") {
    o.momentum = 0.9;
    o.nesterov = true;
  }
  SUBCASE("nesterov, weight decay") {
    o.momentum = 0.7;
    o.nesterov = true;
    o.weight_decay = 0.1;
  }
  CAPTURE(o.momentum);
  CAPTURE(o.nesterov);
  CAPTURE(o.weight_decay);
  sgd_reference r;
  against_reference<T>(sgd<B>(o), [&](reference& p, const reference& g) { r.step(p, g, o); });
}

TEST_CASE_TEMPLATE("adam and adamw: one and three steps against the formulas", T, float, double) {
  using B = net_params<T>;
  adam_reference r;
  SUBCASE("adam") {
    const adam_options o{.lr = 0.05};
    against_reference<T>(adam<B>(o), [&](reference& p, const reference& g) { r.step(p, g, o, false); });
  }
  SUBCASE("adam, L2 weight decay, other betas") {
    const adam_options o{.lr = 0.05, .beta1 = 0.5, .beta2 = 0.9, .eps = 1e-3, .weight_decay = 0.1};
    against_reference<T>(adam<B>(o), [&](reference& p, const reference& g) { r.step(p, g, o, false); });
  }
  SUBCASE("adamw") {
    const adamw_options o{.lr = 0.05, .weight_decay = 0.1};
    against_reference<T>(adamw<B>(o), [&](reference& p, const reference& g) { r.step(p, g, o, true); });
  }
}

TEST_CASE_TEMPLATE("adam's bias correction: the first steps move each parameter by about lr", T, float, double) {
  // Without the correction the first step would be lr (1 - b1) / sqrt(1 - b2),
  // about 3.16 lr. With it, m_hat = g and v_hat = g^2 at t = 1, and again at
  // t = 2 for a constant gradient, so each step is lr g / (|g| + eps).
  using B = net_params<T>;
  B P, G;
  for (std::size_t i = 0; i < n; ++i)
    G.data()[i] = i == 11 ? T(0) : T((i % 2 ? -1 : 1) * std::pow(10.0, int(i % 7) - 3));  // 1e-3 .. 1e3
  const double lr = 0.01;
  adam<B> opt({.lr = lr});
  for (int t = 1; t <= 2; ++t) {
    const B before = P;
    opt.step(P, G);
    CHECK(opt.steps() == std::size_t(t));
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(t);
      CAPTURE(i);
      const double g = double(G.data()[i]);
      const double moved = double(P.data()[i]) - double(before.data()[i]);
      CHECK(std::abs(moved + lr * sign(g)) <= lr * 1e-4);
    }
  }
}

TEST_CASE_TEMPLATE("sgd: nesterov and plain momentum differ as the formulas say", T, float, double) {
  // A constant gradient g from zero velocity:
  //   momentum: v1 = g, d1 = g;          v2 = (1 + mu) g, d2 = (1 + mu) g
  //   nesterov: v1 = g, d1 = (1 + mu) g; v2 = (1 + mu) g, d2 = (1 + mu + mu^2) g
  using B = net_params<T>;
  const double lr = 0.1, mu = 0.9;
  const B P0 = pattern<T>(0, 1.0), G = pattern<T>(1, 1.0);
  B Pm = P0, Pn = P0;
  sgd<B> momentum({.lr = lr, .momentum = mu});
  sgd<B> nesterov({.lr = lr, .momentum = mu, .nesterov = true});
  const std::array<double, 2> dm{1, 1 + mu}, dn{1 + mu, 1 + mu + mu * mu};
  reference pm = to_reference(P0), pn = pm;
  for (std::size_t k = 0; k < 2; ++k) {
    momentum.step(Pm, G);
    nesterov.step(Pn, G);
    for (std::size_t i = 0; i < n; ++i) {
      pm[i] -= lr * dm[k] * double(G.data()[i]);
      pn[i] -= lr * dn[k] * double(G.data()[i]);
    }
    CAPTURE(k);
    check_close(Pm, pm);
    check_close(Pn, pn);
  }
  CHECK(Pm != Pn);
  CHECK(momentum.velocity() == nesterov.velocity());  // the same v; only d differs
}

TEST_CASE_TEMPLATE("adamw decays the parameter, adam decays the gradient", T, float, double) {
  using B = net_params<T>;
  const B P0 = pattern<T>(0, 1.0);  // -1.5 .. 1.5
  const B G = pattern<T>(1, 0.01);  // -0.015 .. 0.015, small against wd p
  const double lr = 0.01, wd = 0.5;

  SUBCASE("without weight decay they are the same, bit for bit") {
    B Pa = P0, Pw = P0;
    adam<B> a({.lr = lr});
    adamw<B> w({.lr = lr, .weight_decay = 0});
    for (int k = 0; k < 3; ++k) {
      a.step(Pa, G);
      w.step(Pw, G);
    }
    CHECK(Pa == Pw);
  }

  SUBCASE("with weight decay: adam steps by lr sign(g + wd p), adamw by lr wd p + lr sign(g)") {
    B Pa = P0, Pw = P0;
    adam<B> a({.lr = lr, .weight_decay = wd});
    adamw<B> w({.lr = lr, .weight_decay = wd});
    a.step(Pa, G);
    w.step(Pw, G);
    bool opposite_somewhere = false;
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(i);
      const double p = double(P0.data()[i]), g = double(G.data()[i]);
      const double moved_a = double(Pa.data()[i]) - p, moved_w = double(Pw.data()[i]) - p;
      CHECK(std::abs(moved_a + lr * sign(g + wd * p)) <= lr * 1e-4);
      CHECK(std::abs(moved_w + lr * wd * p + lr * sign(g)) <= lr * 1e-4);
      if (sign(g) * sign(g + wd * p) < 0) {
        // The decay outweighs g in Adam's gradient, so Adam moves against g
        // while AdamW's Adam part still follows it.
        opposite_somewhere = true;
        CHECK(moved_a * moved_w < 0);
      }
    }
    CHECK(opposite_somewhere);
  }
}

namespace {

// Buffers of N parameters; an element's inputs depend only on i % 5, so
// element i must end equal to element i % 5 whichever path ran it.
template <std::size_t N, class T>
using flat_params = params<decltype(sum(param<"w", vec<N>>)), T>;

template <template <class> class Optimizer, class T, std::size_t N, class Options>
flat_params<N, T> three_steps_periodic(const Options& options) {
  constexpr std::array<double, 5> p0{0.3, -1.7, 0.011, 2.5, -0.4};
  constexpr std::array<double, 5> g0{0.7, -0.013, 3.1, -2.2, 1e-3};
  using B = flat_params<N, T>;
  B P, G;
  Optimizer<B> opt(options);
  for (std::size_t i = 0; i < N; ++i) P.data()[i] = T(p0[i % 5]);
  for (int k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < N; ++i) G.data()[i] = T(g0[i % 5] * (1 + 0.37 * k));
    opt.step(P, G);
  }
  return P;
}

template <class T>
bool same_bits(T a, T b) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  return std::bit_cast<U>(a) == std::bit_cast<U>(b);
}

template <template <class> class Optimizer, class T, class Options>
void check_body_equals_tail(const Options& options) {
  const auto small = three_steps_periodic<Optimizer, T, 5>(options);  // all tail on AVX and wider
  const auto mid = three_steps_periodic<Optimizer, T, 17>(options);   // one element of tail on 16 lanes
  const auto large = three_steps_periodic<Optimizer, T, 37>(options);
  for (std::size_t i = 0; i < 17; ++i) {
    CAPTURE(i);
    CHECK(same_bits(mid.data()[i], small.data()[i % 5]));
  }
  for (std::size_t i = 0; i < 37; ++i) {
    CAPTURE(i);
    CHECK(same_bits(large.data()[i], small.data()[i % 5]));
  }
}

}  // namespace

TEST_CASE_TEMPLATE("every element gets the same result in the SIMD body and in the tail", T, float, double) {
  SUBCASE("sgd") { check_body_equals_tail<sgd, T>(sgd_options{.lr = 0.1, .weight_decay = 0.01}); }
  SUBCASE("sgd, nesterov") {
    check_body_equals_tail<sgd, T>(sgd_options{.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
  }
  SUBCASE("adam") { check_body_equals_tail<adam, T>(adam_options{.lr = 0.1, .weight_decay = 0.01}); }
  SUBCASE("adamw") { check_body_equals_tail<adamw, T>(adamw_options{.lr = 0.1}); }
}

TEST_CASE("the SIMD target of this build") {
  MESSAGE("batch width: float " << detail::simd_batch<float>::size << ", double " << detail::simd_batch<double>::size
                                << "; fused multiply-add: " << std::string(detail::fused_madd ? "yes" : "no"));
}

TEST_CASE_TEMPLATE("clip_by_global_norm", T, float, double) {
  using B = net_params<T>;
  const B G0 = pattern<T>(1, 1.0);
  double norm0 = 0;
  for (std::size_t i = 0; i < n; ++i) norm0 += double(G0.data()[i]) * double(G0.data()[i]);
  norm0 = std::sqrt(norm0);
  B G = G0;
  static_assert(std::is_same_v<decltype(clip_by_global_norm(G, 1.0)), T>);

  SUBCASE("below the threshold: unchanged, returns the norm") {
    CHECK(double(clip_by_global_norm(G, 2 * norm0)) == doctest::Approx(norm0).epsilon(1e-6));
    CHECK(G == G0);
  }
  SUBCASE("at the threshold: unchanged") {
    const T norm = clip_by_global_norm(G, std::numeric_limits<double>::infinity());
    CHECK(clip_by_global_norm(G, double(norm)) == norm);
    CHECK(G == G0);
  }
  SUBCASE("above the threshold: scaled to norm max_norm, returns the norm before") {
    CHECK(double(clip_by_global_norm(G, 1.5)) == doctest::Approx(norm0).epsilon(1e-6));
    double clipped = 0;
    for (std::size_t i = 0; i < n; ++i) {
      CAPTURE(i);
      CHECK(double(G.data()[i]) == doctest::Approx(double(G0.data()[i]) * 1.5 / norm0).epsilon(1e-6));
      clipped += double(G.data()[i]) * double(G.data()[i]);
    }
    CHECK(std::sqrt(clipped) == doctest::Approx(1.5).epsilon(1e-6));
  }
  SUBCASE("max_norm 0 zeroes a nonzero gradient") {
    CHECK(clip_by_global_norm(G, 0.0) > T(0));
    CHECK(G == B{});
  }
  SUBCASE("a zero gradient: norm 0, unchanged") {
    B Z;
    CHECK(clip_by_global_norm(Z, 1.0) == T(0));
    CHECK(clip_by_global_norm(Z, 0.0) == T(0));
    CHECK(Z == B{});
  }
  SUBCASE("NaN or infinity: returns NaN or +inf and leaves G unchanged") {
    const auto unchanged = [](const B& a, const B& b) { return std::memcmp(a.data(), b.data(), sizeof(T) * n) == 0; };
    G.data()[3] = std::numeric_limits<T>::infinity();
    B before = G;
    CHECK(clip_by_global_norm(G, 1.0) == std::numeric_limits<T>::infinity());
    CHECK(unchanged(G, before));
    G.data()[3] = -std::numeric_limits<T>::infinity();
    before = G;
    CHECK(clip_by_global_norm(G, 1.0) == std::numeric_limits<T>::infinity());
    CHECK(unchanged(G, before));
    G.data()[20] = std::numeric_limits<T>::quiet_NaN();
    before = G;
    CHECK(std::isnan(clip_by_global_norm(G, 1.0)));
    CHECK(unchanged(G, before));
    G = G0;
    G.data()[25] = std::numeric_limits<T>::quiet_NaN();
    before = G;
    CHECK(std::isnan(clip_by_global_norm(G, 1.0)));
    CHECK(unchanged(G, before));
  }
  SUBCASE("squares that overflow or underflow the element type still give the norm") {
    for (const T scale : {T(10) * std::sqrt(std::numeric_limits<T>::max()),
                          std::sqrt(std::numeric_limits<T>::min()) / T(10)}) {
      CAPTURE(scale);
      for (std::size_t i = 0; i < n; ++i) G.data()[i] = G0.data()[i] * scale;
      CHECK(double(clip_by_global_norm(G, 1.0)) == doctest::Approx(norm0 * double(scale)).epsilon(1e-5));
      if (scale > 1)
        for (std::size_t i = 0; i < n; ++i)
          CHECK(double(G.data()[i]) == doctest::Approx(double(G0.data()[i]) / norm0).epsilon(1e-5));
    }
  }
  SUBCASE("a negative or NaN max_norm throws") {
    CHECK_THROWS_WITH_AS(clip_by_global_norm(G, -1.0), "tapeless::clip_by_global_norm: max_norm = -1 must be >= 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(clip_by_global_norm(G, std::nan("")),
                         "tapeless::clip_by_global_norm: max_norm = nan must be >= 0", std::invalid_argument);
    CHECK(G == G0);
  }
}

TEST_CASE("bad hyperparameters throw at construction, naming the value") {
  using B = net_params<double>;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(sgd<B>(sgd_options{.lr = -0.1}), "tapeless::sgd: lr = -0.1 must be finite and >= 0",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(sgd<B>(sgd_options{.lr = 0.1, .momentum = 1}), "tapeless::sgd: momentum = 1 must be in [0, 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(sgd<B>(sgd_options{.lr = 0.1, .nesterov = true}),
                       "tapeless::sgd: momentum = 0 must be > 0 with nesterov", std::invalid_argument);
  CHECK_THROWS_WITH_AS(sgd<B>(sgd_options{.weight_decay = -0.5}),
                       "tapeless::sgd: weight_decay = -0.5 must be finite and >= 0", std::invalid_argument);
  CHECK_THROWS_WITH_AS(adam<B>(adam_options{.lr = nan}), "tapeless::adam: lr = nan must be finite and >= 0",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adam<B>(adam_options{.beta1 = 1}), "tapeless::adam: beta1 = 1 must be in [0, 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adam<B>(adam_options{.beta2 = -0.5}), "tapeless::adam: beta2 = -0.5 must be in [0, 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adam<B>(adam_options{.eps = 0}), "tapeless::adam: eps = 0 must be finite and > 0",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adamw<B>(adamw_options{.beta2 = 1.5}), "tapeless::adamw: beta2 = 1.5 must be in [0, 1)",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adamw<B>(adamw_options{.eps = -1e-8}), "tapeless::adamw: eps = -1e-08 must be finite and > 0",
                       std::invalid_argument);

  // The edges of the ranges are accepted.
  CHECK_NOTHROW(sgd<B>(sgd_options{.lr = 0, .momentum = 0}));
  CHECK_NOTHROW(adam<B>(adam_options{.lr = 0, .beta1 = 0, .beta2 = 0}));

  // set_options checks the same way and keeps the old options on error.
  adam<B> opt({.lr = 0.01});
  CHECK_THROWS_AS(opt.set_options({.lr = -1}), std::invalid_argument);
  CHECK(opt.options().lr == 0.01);
  opt.set_options({.lr = 0.001});
  CHECK(opt.options().lr == 0.001);
}

TEST_CASE("optimizer state starts at zero, and a step does not allocate") {
  using B = net_params<double>;
  B P = pattern<double>(0, 1.0), G = pattern<double>(1, 1.0);
  sgd<B> s({.lr = 0.1, .momentum = 0.9});
  adam<B> a;
  adamw<B> w;
  CHECK(s.velocity() == B{});
  CHECK(a.first_moment() == B{});
  CHECK(a.second_moment() == B{});
  CHECK(w.first_moment() == B{});
  CHECK(w.second_moment() == B{});
  CHECK(a.steps() == 0);

  const std::size_t before = heap_allocations;
  s.step(P, G);
  a.step(P, G);
  w.step(P, G);
  const double norm = clip_by_global_norm(G, 0.1);
  const std::size_t after = heap_allocations;
  CHECK(after == before);
  CHECK(norm > 0.1);

  CHECK(s.velocity() != B{});
  CHECK(a.steps() == 1);
  s.reset();
  a.reset();
  CHECK(s.velocity() == B{});
  CHECK(a.first_moment() == B{});
  CHECK(a.second_moment() == B{});
  CHECK(a.steps() == 0);
}

namespace {
// The seed's 2-2-1 ReLU network (seed_example_test.cpp).
constexpr auto sx = input<"x", vec<2>>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto yhat = dot(w2, relu(W1 * sx + b1)) + b2;
constexpr auto seed_loss = 0.5_c * square(yhat - y);
using seed_params = params<decltype(seed_loss), double>;

seed_params seed_start() {
  seed_params P;
  P.get<"W1">() = {{1, -1}, {0.5, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5;
  return P;
}

constexpr std::array<std::array<double, 2>, 6> xs{{{2, -1}, {1, 1}, {-1, 2}, {0.5, -0.5}, {1.5, 0.5}, {-2, -1}}};

// Targets from a teacher of the same shape, so the loss can reach zero.
std::array<double, 6> teacher_targets() {
  seed_params T;
  T.get<"W1">() = {{1, -0.5}, {-0.5, 1}};
  T.get<"b1">() = {0.25, 0};
  T.get<"w2">() = {1.5, -0.5};
  T.get<"b2">() = -0.25;
  std::array<double, 6> ys{};
  for (std::size_t s = 0; s < xs.size(); ++s) ys[s] = value(yhat, T, bind<"x">(xs[s]));
  return ys;
}

// Mean loss over the samples; G receives the mean gradient.
double mean_loss(const seed_params& P, seed_params& G, const std::array<double, 6>& ys) {
  G.fill(0);
  double L = 0;
  for (std::size_t s = 0; s < xs.size(); ++s) {
    const auto [l, g] = value_and_grad(seed_loss, P, bind<"x">(xs[s]), bind<"y">(ys[s]));
    L += l;
    for (std::size_t i = 0; i < G.size(); ++i) G.data()[i] += g.data()[i];
  }
  for (auto& g : G) g /= double(xs.size());
  return L / double(xs.size());
}
}  // namespace

TEST_CASE("a few hundred steps on the seed network reduce its loss") {
  const auto ys = teacher_targets();
  seed_params G;
  const double initial = mean_loss(seed_start(), G, ys);
  REQUIRE(initial > 0.1);

  SUBCASE("sgd with nesterov momentum") {
    seed_params P = seed_start();
    sgd<seed_params> opt({.lr = 0.02, .momentum = 0.9, .nesterov = true});
    double L = initial;
    for (int k = 0; k < 300; ++k) {
      L = mean_loss(P, G, ys);
      opt.step(P, G);
    }
    MESSAGE("sgd: mean loss " << initial << " -> " << L);
    CHECK(L < 0.02 * initial);
  }
  SUBCASE("adam, gradients clipped to norm 1") {
    seed_params P = seed_start();
    adam<seed_params> opt({.lr = 0.02});
    double L = initial;
    for (int k = 0; k < 300; ++k) {
      L = mean_loss(P, G, ys);
      if (std::isfinite(clip_by_global_norm(G, 1.0))) opt.step(P, G);
    }
    MESSAGE("adam: mean loss " << initial << " -> " << L);
    CHECK(L < 0.02 * initial);
  }
}
