// Initializers: the generator's words and the initialized bits are pinned by
// tables (computed once, identical under g++ 12 and clang++ 14, with and
// without -ffp-contract=fast); sample moments match the formulas.

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/init/init.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
// A small network: W1 mat<3, 2>, b1 vec<3>, W2 mat<1, 3>, b2 scalar.
constexpr auto x = input<"x", vec<2>>;
constexpr auto W1 = param<"W1", mat<3, 2>>;
constexpr auto b1 = param<"b1", vec<3>>;
constexpr auto W2 = param<"W2", mat<1, 3>>;
constexpr auto b2 = param<"b2">;
constexpr auto net = sum(W2 * relu(W1 * x + b1)) + b2;
constexpr auto net_without_biases = sum(W2 * relu(W1 * x));

template <class T>
using bits_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

template <class T>
bits_t<T> bits(T v) {
  return std::bit_cast<bits_t<T>>(v);
}

constexpr std::uint64_t nth_word(init::rng g, int n) {
  for (int i = 0; i < n; ++i) g();
  return g();
}
}  // namespace

// The published reference outputs of splitmix64 (seed 0) and of xoshiro256**
// from state {1, 2, 3, 4}; an independent Python model gives rng(42)'s words.
static_assert([] {
  std::uint64_t s = 0;
  return init::detail::splitmix64_next(s);
}() == 0xe220a8397b1dcdafu);
static_assert(nth_word(init::rng::from_state({1, 2, 3, 4}), 0) == 11520u);
static_assert(nth_word(init::rng::from_state({1, 2, 3, 4}), 1) == 0u);
static_assert(nth_word(init::rng::from_state({1, 2, 3, 4}), 2) == 1509978240u);
static_assert(nth_word(init::rng::from_state({1, 2, 3, 4}), 3) == 1215971899390074240u);
static_assert(std::uniform_random_bit_generator<init::rng>);

TEST_CASE("rng: the first words for seed 42") {
  constexpr std::array<std::uint64_t, 6> expected{0x15780b2e0c2ec716u, 0x6104d9866d113a7eu, 0xae17533239e499a1u,
                                                  0xecb8ad4703b360a1u, 0xfde6dc7fe2ec5e64u, 0xc50da53101795238u};
  init::rng g(42);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(g() == expected[i]);
  }
  init::rng a(42), b(42), c(43);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("rng: uniform numbers are the top bits, scaled exactly") {
  // Words 11520 = 5 * 2^11 + 640 and 0 (reference state above).
  auto g = init::rng::from_state({1, 2, 3, 4});
  CHECK(init::uniform_symmetric<double>(g) == (5.0 - 0x1p52) * 0x1p-52);
  CHECK(init::uniform_symmetric<double>(g) == -1.0);
  g = init::rng::from_state({1, 2, 3, 4});
  CHECK(init::uniform01<float>(g) == 0.0f);  // 11520 < 2^40: top 24 bits are 0
  CHECK(init::uniform01<float>(g) == 0.0f);
}

TEST_CASE("deterministic_log is within 2 ulp of std::log") {
  init::rng g(1);
  for (int i = 0; i < 100000; ++i) {
    const double m = 0.5 + 0.5 * init::uniform01<double>(g) + 0x1p-54;  // [1/2, 1)
    const int e = static_cast<int>(g() % 240) - 120;
    const double xs[] = {std::ldexp(m, e), 2 * m};  // spread out, and near 1
    for (const double xv : xs) {
      const double want = std::log(xv);
      const double got = init::detail::deterministic_log(xv);
      const double ulp = std::nextafter(std::abs(want), INFINITY) - std::abs(want);
      CAPTURE(xv);
      CHECK(std::abs(got - want) <= 2 * ulp);
    }
  }
  CHECK(init::detail::deterministic_log(1.0) == 0.0);
}

TEST_CASE("standard normal pairs for seed 7, to the bit") {
  constexpr std::array<std::uint64_t, 8> expected{
      0x3feedc0d635eea0eu, 0xbff1052212a30fe0u, 0xbfd3739755916c20u, 0xbff19560dad02137u,
      0x3fd381c0324118c3u, 0x3ffb5546c837a177u, 0xbffb375fc61f0762u, 0x40010da117c21fe6u,
  };
  init::rng g(7);
  for (std::size_t i = 0; i < expected.size(); i += 2) {
    const auto [z0, z1] = init::standard_normal_pair(g);
    CAPTURE(i);
    CHECK(bits(z0) == expected[i]);
    CHECK(bits(z1) == expected[i + 1]);
  }
}

TEST_CASE_TEMPLATE("initialize: a small network, to the bit", T, float, double) {
  params<decltype(net), T> P;
  REQUIRE(P.size() == 13);
  REQUIRE(P.layout_info()[0].name == "W1");
  REQUIRE(P.layout_info()[2].name == "W2");
  constexpr bool is_float = std::is_same_v<T, float>;

  SUBCASE("glorot_uniform, seed 2024") {
    constexpr std::array<std::uint64_t, 13> f{
        0xbf79243bu, 0x3f1e3912u, 0xbf70054au, 0xbf3edabfu, 0x3f197b51u, 0xbf0f17d3u, 0x00000000u,
        0x00000000u, 0x00000000u, 0xbe848484u, 0xbf185f92u, 0x3e0e6ee0u, 0x00000000u,
    };
    constexpr std::array<std::uint64_t, 13> d{
        0xbfef24873dc98f33u, 0x3fe3c72268c8a103u, 0xbfee00a92311c6eau, 0xbfe7db579cf9b3cau, 0x3fe32f6a3e32577cu,
        0xbfe1e2fa2597c992u, 0x0000000000000000u, 0x0000000000000000u, 0x0000000000000000u, 0xbfd0909006b31eabu,
        0xbfe30bf21d545d53u, 0x3fc1cddc7ee4ceb8u, 0x0000000000000000u,
    };
    init::initialize(P, init::glorot_uniform, 2024);
    for (std::size_t i = 0; i < 13; ++i) {
      CAPTURE(i);
      CHECK(bits(P.data()[i]) == (is_float ? f[i] : d[i]));
    }
  }
  SUBCASE("he_normal, seed 2024") {
    constexpr std::array<std::uint64_t, 13> f{
        0x3f49ab54u, 0xbf3c04d7u, 0xbf22b248u, 0xbfbb12efu, 0x3da185ecu, 0xbf1fc367u, 0x00000000u,
        0x00000000u, 0x00000000u, 0x3e05f8bdu, 0x3e833f68u, 0x3f357019u, 0x00000000u,
    };
    constexpr std::array<std::uint64_t, 13> d{
        0x3fe9356a7a1bbe22u, 0xbfe7809adf637526u, 0xbfe45648f30d6b8eu, 0xbff7625de4f985f6u, 0x3fb430bd816b81ecu,
        0xbfe3f86cda88b535u, 0x0000000000000000u, 0x0000000000000000u, 0x0000000000000000u, 0x3fc0bf17964ecccau,
        0x3fd067ecf6d13904u, 0x3fe6ae02ff8f8997u, 0x0000000000000000u,
    };
    init::initialize(P, init::he_normal, 2024);
    for (std::size_t i = 0; i < 13; ++i) {
      CAPTURE(i);
      CHECK(bits(P.data()[i]) == (is_float ? f[i] : d[i]));
    }
  }
}

TEST_CASE_TEMPLATE("initialize: seeds, buffer order and biases", T, float, double) {
  params<decltype(net), T> P, Q;
  P.fill(T(7));

  SUBCASE("same seed, same bits; another seed, other bits") {
    init::initialize(P, init::he_uniform, 5);
    init::initialize(Q, init::he_uniform, 5);
    CHECK(P == Q);
    init::initialize(Q, init::he_uniform, 6);
    CHECK(P != Q);
    for (std::size_t i = 0; i < 6; ++i) CHECK(P.data()[i] != Q.data()[i]);
  }

  SUBCASE("matrices in buffer order from one stream; biases zero and take no words") {
    init::initialize(P, init::glorot_normal, 11);
    tensor<T, mat<3, 2>> w1;
    tensor<T, mat<1, 3>> w2;
    init::rng g(11);
    init::glorot_normal(w1.view(), g);
    init::glorot_normal(w2.view(), g);
    for (std::size_t k = 0; k < 6; ++k) CHECK(P.template get<"W1">()[k] == w1[k]);
    for (std::size_t k = 0; k < 3; ++k) CHECK(P.template get<"W2">()[k] == w2[k]);
    for (std::size_t k = 0; k < 3; ++k) CHECK(P.template get<"b1">()[k] == T(0));
    CHECK(P.template get<"b2">() == T(0));

    params<decltype(net_without_biases), T> R;
    init::initialize(R, init::glorot_normal, 11);
    for (std::size_t k = 0; k < 6; ++k) CHECK(R.template get<"W1">()[k] == w1[k]);
    for (std::size_t k = 0; k < 3; ++k) CHECK(R.template get<"W2">()[k] == w2[k]);
  }

  SUBCASE("an explicit generator continues where it was") {
    init::rng g(3);
    init::initialize(P, init::he_uniform, g);
    init::initialize(Q, init::he_uniform, g);
    CHECK(P != Q);
    init::rng h(3);
    for (int i = 0; i < 18; ++i) h();  // 6 + 3 words per buffer
    CHECK(g == h);
  }

  SUBCASE("constant(c) fills the matrices, zeros everything") {
    init::initialize(P, init::constant(0.5), 1);
    for (std::size_t k = 0; k < 6; ++k) CHECK(P.template get<"W1">()[k] == T(0.5));
    CHECK(P.template get<"b1">()[0] == T(0));
    init::initialize(P, init::zeros, 1);
    for (const T v : P) CHECK(v == T(0));
  }
}

TEST_CASE_TEMPLATE("per-view fills and their stream use", T, float, double) {
  tensor<T, mat<2, 3>> w;
  init::constant(w.view(), 2.5);
  for (const T v : w) CHECK(v == T(2.5));
  init::zeros(w.view());
  for (const T v : w) CHECK(v == T(0));

  SUBCASE("uniform: one word per element") {
    init::rng g(9), h(9);
    init::he_uniform(w.view(), g);
    for (int i = 0; i < 6; ++i) h();
    CHECK(g == h);
  }
  SUBCASE("normal: pairs, the last second value dropped for an odd size") {
    tensor<T, vec<3>> v;
    init::rng g(9), h(9);
    init::he_normal(v.view(), g);  // fan_in = 3
    const auto [z0, z1] = init::standard_normal_pair(h);
    const auto [z2, z3] = init::standard_normal_pair(h);
    (void)z3;
    const T s = std::sqrt(T(2) / T(3));
    CHECK(v[0] == static_cast<T>(z0) * s);
    CHECK(v[1] == static_cast<T>(z1) * s);
    CHECK(v[2] == static_cast<T>(z2) * s);
    CHECK(g == h);
  }
  SUBCASE("a span with explicit fans") {
    std::vector<T> data(10);
    init::rng g(4);
    init::he_uniform(std::span<T>(data), init::fan{5, 2}, g);
    const T a = std::sqrt(T(6) / T(5));
    for (const T v : data) CHECK(std::abs(v) <= a);
    CHECK_THROWS_AS(init::he_uniform(std::span<T>(data), init::fan{0, 2}, g), std::invalid_argument);
    CHECK_THROWS_AS(init::glorot_normal(std::span<T>(data), init::fan{0, 0}, g), std::invalid_argument);
  }
}

TEST_CASE("fans: fan_in = cols, fan_out = rows") {
  static_assert(init::fan_of<mat<3, 2>>() == init::fan{2, 3});
  static_assert(init::fan_of<vec<4>>() == init::fan{4, 4});
  static_assert(init::fan_of<scalar>() == init::fan{1, 1});
  params<decltype(net)> P;
  CHECK(init::fan_of(P.layout_info()[0]) == init::fan{2, 3});
  CHECK(init::fan_of(P.layout_info()[2]) == init::fan{3, 1});
}

// Sample moments of N = 100 000 draws. The sample mean has standard error
// sigma / sqrt(N); the sample variance has standard error sigma^2
// sqrt((kurtosis - 1) / N), kurtosis 3 for a normal and 9/5 for a uniform;
// the sample kurtosis of a normal has standard error about sqrt(24 / N).
// Every check allows 5 standard errors (a fixed seed makes them exact
// repeatable facts; 5 sigma leaves room for any seed). Non-square shapes
// make a swapped fan_in / fan_out visible: for He they change the variance
// by a factor 1.6, far outside the tolerance.
namespace {
template <class T, std::size_t R, std::size_t C, class Scheme>
void check_moments(const Scheme& scheme, double variance, bool normal, std::uint64_t seed) {
  constexpr std::size_t n = R * C;
  std::vector<T> data(n);
  init::rng g(seed);
  scheme(tensor_view<T, mat<R, C>>(data.data()), g);
  double sum = 0, max_abs = 0;
  for (const T v : data) {
    sum += v;
    max_abs = std::max(max_abs, std::abs(static_cast<double>(v)));
  }
  const double mean = sum / n;
  double m2 = 0, m4 = 0;
  for (const T v : data) {
    const double d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  const double kurtosis = m4 / (m2 * m2);
  const double root_n = std::sqrt(static_cast<double>(n));
  CAPTURE(R);
  CAPTURE(C);
  CAPTURE(mean);
  CAPTURE(m2);
  CAPTURE(variance);
  CAPTURE(kurtosis);
  CHECK(std::abs(mean) <= 5 * std::sqrt(variance) / root_n);
  CHECK(std::abs(m2 - variance) <= 5 * variance * std::sqrt((normal ? 2.0 : 0.8)) / root_n);
  if (normal) {
    CHECK(std::abs(kurtosis - 3) <= 5 * std::sqrt(24.0) / root_n);
  } else {
    const double a = std::sqrt(3 * variance);  // U(-a, a) has variance a^2 / 3
    CHECK(max_abs <= a * (1 + std::numeric_limits<T>::epsilon()));
    CHECK(max_abs >= a * (1 - 1e-3));  // the top 0.1 % of the range is hit
  }
}
}  // namespace

TEST_CASE_TEMPLATE("sample moments match the formulas", T, float, double) {
  // mat<rows, cols>: fan_in = cols, fan_out = rows.
  SUBCASE("glorot_uniform: variance 2 / (fan_in + fan_out)") {
    check_moments<T, 400, 250>(init::glorot_uniform, 2.0 / 650, false, 1);
    check_moments<T, 100, 1000>(init::glorot_uniform, 2.0 / 1100, false, 2);
  }
  SUBCASE("glorot_normal: variance 2 / (fan_in + fan_out)") {
    check_moments<T, 400, 250>(init::glorot_normal, 2.0 / 650, true, 3);
    check_moments<T, 100, 1000>(init::glorot_normal, 2.0 / 1100, true, 4);
  }
  SUBCASE("he_uniform: variance 2 / fan_in") {
    check_moments<T, 400, 250>(init::he_uniform, 2.0 / 250, false, 5);
    check_moments<T, 250, 400>(init::he_uniform, 2.0 / 400, false, 6);
  }
  SUBCASE("he_normal: variance 2 / fan_in") {
    check_moments<T, 400, 250>(init::he_normal, 2.0 / 250, true, 7);
    check_moments<T, 250, 400>(init::he_normal, 2.0 / 400, true, 8);
  }
}
