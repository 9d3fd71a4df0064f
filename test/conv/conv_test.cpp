// Convolution, pooling and flatten: the image shape, gradient routing of
// the pools at ties and NaN, layer parameter names, and a small CNN through
// gradcheck and through the SIMD batch engine. The laws of every op are in
// conv_laws_test.cpp.

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

template <class P>
void randomize(P& p, unsigned seed, double scale = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  for (auto& v : p.span()) v = typename P::element_type(u(rng));
}

}  // namespace

TEST_CASE("image shapes") {
  using S = image<2, 3, 4>;
  static_assert(S::rank == 3 && S::size == 24 && S::channels == 2 && S::height == 3 && S::width == 4);
  static_assert(S::dims == std::array<std::size_t, 3>{2, 3, 4});
  static_assert(shape_type<S>);
  CHECK(shape_string<S>() == "image<2, 3, 4>");
  tensor<double, image<2, 1, 2>> t;
  for (std::size_t k = 0; k < 4; ++k) t[k] = double(k + 1);
  CHECK(t(1, 0, 0) == 3);
  CHECK(t.view()(1, 0, 1) == 4);
  CHECK(to_string(t) == "[[[1, 2]], [[3, 4]]]");
  tensor<double, image<2, 3, 4>> u;
  u.view()(1, 2, 3) = 7;
  CHECK(u[23] == 7);
}

TEST_CASE("max pooling routes the whole gradient to the first maximum") {
  constexpr auto x = input<"x", image<1, 2, 2>>;
  constexpr auto f = max_pool2d<2>(x);
  const std::array<double, 1> seed{1.5};
  const std::array<double, 4> xdot{1, 10, 100, 1000};  // ẏ names the element it came from
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct window {
    const char* what;
    std::array<double, 4> x;
    std::size_t argmax;
  };
  const window cases[] = {
      {"distinct", {1, 3, 2, 0}, 1},
      {"tie at (0,1) and (1,0)", {1, 3, 3, 2}, 1},
      {"tie at (1,0) and (1,1)", {1, 0, 3, 3}, 2},
      {"all equal", {5, 5, 5, 5}, 0},
      {"-0 then +0", {-0.0, 0.0, -1, -2}, 0},
      {"+0 then -0", {-1, 0.0, -0.0, -2}, 1},
      {"infinities", {-inf, inf, inf, 0}, 1},
      {"NaN: the first NaN takes it", {1, nan, nan, 7}, 1},
      {"NaN first", {nan, 9, 1, 1}, 0},
  };
  for (const window& w : cases) {
    CAPTURE(w.what);
    const auto r = vjp(f, seed, bind<"x">(w.x));
    const auto g = r.input_grad.get<"x">();
    const bool has_nan = std::isnan(w.x[0]) || std::isnan(w.x[1]) || std::isnan(w.x[2]) || std::isnan(w.x[3]);
    if (has_nan)
      CHECK(std::isnan(r.value[0]));
    else
      CHECK(r.value[0] == w.x[w.argmax]);
    for (std::size_t k = 0; k < 4; ++k) {
      CAPTURE(k);
      CHECK(g[k] == (k == w.argmax ? 1.5 : 0.0));
    }
    const auto t = jvp(f, bind<"x">(w.x), tangent<"x">(xdot));
    CHECK(t.tangent[0] == xdot[w.argmax]);
  }
  // -0 first: the value is the first maximum itself.
  const std::array<double, 4> zeros{-0.0, 0.0, -1, -2};
  CHECK(std::signbit(value(f, bind<"x">(zeros))[0]));
}

TEST_CASE("overlapping max windows each route their own gradient") {
  // 3x3 image, 2x2 windows at stride 1: the centre 9 is the maximum of all
  // four windows; in the top-left window 9 ties with an earlier 9.
  constexpr auto x = input<"x", image<1, 3, 3>>;
  constexpr auto f = max_pool2d<2, 1>(x);
  const std::array<double, 9> data{9, 1, 2,   //
                                   3, 9, 4,   //
                                   5, 6, 7};
  const std::array<double, 4> seed{1, 2, 4, 8};
  const auto g = vjp(f, seed, bind<"x">(data)).input_grad.get<"x">();
  const std::array<double, 9> expected{1, 0, 0,  //
                                       0, 14, 0,  //
                                       0, 0, 0};
  for (std::size_t k = 0; k < 9; ++k) {
    CAPTURE(k);
    CHECK(g[k] == expected[k]);
  }
}

TEST_CASE("average pooling spreads 1/k to every element of the window") {
  constexpr auto x = input<"x", image<2, 2, 4>>;
  constexpr auto f = avg_pool2d<2>(x);
  std::array<double, 16> data{};
  for (std::size_t k = 0; k < 16; ++k) data[k] = double(k);
  const std::array<double, 4> seed{4, 8, -2, 1};
  const auto r = vjp(f, seed, bind<"x">(data));
  CHECK(r.value[0] == (0 + 1 + 4 + 5) / 4.0);
  CHECK(r.value[3] == (10 + 11 + 14 + 15) / 4.0);
  const auto g = r.input_grad.get<"x">();
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t h = 0; h < 2; ++h)
      for (std::size_t w = 0; w < 4; ++w) CHECK(g(c, h, w) == seed[c * 2 + w / 2] / 4);

  // A 3x3 window: 1/9 each, overlapping windows add up.
  constexpr auto y = input<"y", image<1, 3, 4>>;
  constexpr auto h = avg_pool2d<3, 1>(y);
  const std::array<double, 12> ones{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const std::array<double, 2> s{9, 18};
  const auto gy = vjp(h, s, bind<"y">(ones)).input_grad.get<"y">();
  for (std::size_t r2 = 0; r2 < 3; ++r2) {
    CHECK(gy(0, r2, 0) == doctest::Approx(1));
    CHECK(gy(0, r2, 1) == doctest::Approx(3));
    CHECK(gy(0, r2, 2) == doctest::Approx(3));
    CHECK(gy(0, r2, 3) == doctest::Approx(2));
  }
}

TEST_CASE("layers own parameters named after them") {
  constexpr auto x = input<"x", image<2, 6, 6>>;
  constexpr auto net = nn::conv2d<"c1", 3, 3, 1, 1> | nn::relu | nn::max_pool<2> | nn::conv2d_no_bias<"c2", 4, 3> |
                       nn::avg_pool<1> | nn::flatten | nn::dense<"out", 2>;
  constexpr auto y = x | net;
  static_assert(std::is_same_v<decltype(y)::shape, vec<2>>);
  static_assert(std::is_same_v<decltype(x | nn::conv2d<"c1", 3, 3, 1, 1>)::shape, image<3, 6, 6>>);
  static_assert(std::is_same_v<decltype(x | nn::conv2d<"c", 5, 2, 2>)::shape, image<5, 3, 3>>);
  static_assert(std::is_same_v<decltype(x | nn::max_pool<3, 1>)::shape, image<2, 4, 4>>);
  using P = params<decltype(y), double>;
  const auto& info = P::layout_info();
  REQUIRE(info.size() == 5);
  CHECK(info[0].name == "c1.W");
  CHECK(info[0].dims == std::array<std::size_t, 3>{3, 18, 1});
  CHECK(info[1].name == "c1.b");
  CHECK(info[1].size == 3);
  CHECK(info[2].name == "c2.W");
  CHECK(info[2].dims == std::array<std::size_t, 3>{4, 27, 1});
  CHECK(info[3].name == "out.W");
  CHECK(info[3].dims == std::array<std::size_t, 3>{2, 4, 1});
}

namespace {
constexpr auto img = input<"x", image<2, 6, 6>>;
constexpr auto label = input<"y", vec<4>>;
constexpr auto cnn =
    nn::conv2d<"c1", 3, 3, 1, 1> | nn::relu | nn::max_pool<2> | nn::flatten | nn::dense<"out", 4>;
constexpr auto cnn_loss = nn::softmax_cross_entropy(img | cnn, label);
}  // namespace

TEST_CASE("a small CNN passes gradcheck") {
  params<decltype(cnn_loss), double> P;
  randomize(P, 7);
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> u(-1, 1);
  std::array<double, 72> xv{};
  for (double& v : xv) v = u(rng);
  const std::array<double, 4> yv{0, 0, 1, 0};
  const auto report = gradcheck(cnn_loss, P, bind<"x">(xv), bind<"y">(yv));
  CAPTURE(report);
  CHECK(report.checked == P.size() + 72 + 4);  // parameters, then the inputs x and y
  CHECK(report.ok(1e-6));
}

TEST_CASE("the CNN on SIMD lanes agrees with the scalar path, ties included") {
  params<decltype(cnn_loss), float> P;
  randomize(P, 3);
  constexpr std::size_t n = 77;  // not a multiple of the lane count
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> xs(72 * n), ys(4 * n, 0.0f);
  for (float& v : xs) v = u(rng);
  // Every third sample is a constant image: the conv output is the same at
  // every interior pixel, so max-pool windows tie on those lanes.
  for (std::size_t s = 0; s < n; s += 3)
    for (std::size_t k = 0; k < 72; ++k) xs[72 * s + k] = 0.75f;
  for (std::size_t s = 0; s < n; ++s) ys[4 * s + s % 4] = 1;

  params<decltype(cnn_loss), double> Pd, Gref;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = P.data()[k];
  Gref.fill(0);
  double Lref = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::array<double, 72> xv{};
    std::array<double, 4> yv{};
    for (std::size_t k = 0; k < 72; ++k) xv[k] = xs[72 * s + k];
    for (std::size_t k = 0; k < 4; ++k) yv[k] = ys[4 * s + k];
    Lref += value_and_grad_accumulate(cnn_loss, Pd, Gref, bind<"x">(xv), bind<"y">(yv));
  }
  const auto [L, G] = value_and_grad_batch(cnn_loss, P, n, bind<"x">(aos(xs)), bind<"y">(aos(ys)));
  CHECK(double(L) == doctest::Approx(Lref).epsilon(1e-5));
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(double(G.data()[k]) == doctest::Approx(Gref.data()[k]).epsilon(1e-4).scale(1));
  }
}

TEST_CASE("pooling on SIMD lanes routes ties like the scalar path") {
  // Q (all zero) is added to the image so that the pools' input gradient
  // becomes a parameter gradient the batch engine returns: Q̄ shows exactly
  // where each lane's gradient went.
  constexpr auto x = input<"x", image<2, 4, 4>>;
  constexpr auto Q = param<"Q", image<2, 4, 4>>;
  constexpr auto v = param<"v", vec<8>>;
  constexpr auto a = param<"a", vec<8>>;
  constexpr auto loss = dot(v, flatten(max_pool2d<2>(x + Q))) + dot(a, flatten(avg_pool2d<2>(x + Q)));
  params<decltype(loss), float> P;
  for (std::size_t k = 0; k < 8; ++k) {
    P.get<"v">()[k] = float(k + 1);
    P.get<"a">()[k] = float(k) - 4;
  }
  constexpr std::size_t n = 37;
  std::vector<float> xs(32 * n);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t k = 0; k < 32; ++k)
      // Small integers: many windows tie, differently on each lane.
      xs[32 * s + k] = float((k * 7 + s * 3 + (k * s) % 5) % 4);

  params<decltype(loss), double> Pd, Gref;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = P.data()[k];
  Gref.fill(0);
  double Lref = 0;
  for (std::size_t s = 0; s < n; ++s) {
    std::array<double, 32> xv{};
    for (std::size_t k = 0; k < 32; ++k) xv[k] = xs[32 * s + k];
    Lref += value_and_grad_accumulate(loss, Pd, Gref, bind<"x">(xv));
  }
  const auto [L, G] = value_and_grad_batch(loss, P, n, bind<"x">(aos(xs)));
  CHECK(double(L) == Lref);
  // Small integers and quarters: every sum is exact in float.
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(double(G.data()[k]) == Gref.data()[k]);
  }
}
