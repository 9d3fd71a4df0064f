// Convolution, pooling and flatten: conv2d against a naive reference
// convolution, the pools against plain window maxima and means, and the
// laws of every op (test/support/laws.hpp; compiled once per group of laws,
// see test/conv/meson.build).

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "laws.hpp"

using namespace tapeless;

namespace {

// y(o,i,j) = b_o + Σ_{c,p,q} w[o][c][p][q] x(c, iS+p-P, jS+q-P), zero outside.
template <std::size_t Out, std::size_t C, std::size_t H, std::size_t W, std::size_t K, std::size_t S, std::size_t P>
std::vector<double> reference_conv(const double* w, const double* x, const double* b) {
  constexpr std::size_t Ho = (H + 2 * P - K) / S + 1, Wo = (W + 2 * P - K) / S + 1;
  std::vector<double> y;
  for (std::size_t o = 0; o < Out; ++o)
    for (std::size_t i = 0; i < Ho; ++i)
      for (std::size_t j = 0; j < Wo; ++j) {
        double s = 0;
        for (std::size_t c = 0; c < C; ++c)
          for (std::size_t p = 0; p < K; ++p)
            for (std::size_t q = 0; q < K; ++q) {
              const long h = long(i * S + p) - long(P), v = long(j * S + q) - long(P);
              if (h < 0 || v < 0 || h >= long(H) || v >= long(W)) continue;
              s += w[((o * C + c) * K + p) * K + q] * x[(c * H + std::size_t(h)) * W + std::size_t(v)];
            }
        y.push_back(b ? s + b[o] : s);
      }
  return y;
}

template <std::size_t Out, std::size_t C, std::size_t H, std::size_t W, std::size_t K, std::size_t S, std::size_t P>
void check_conv() {
  constexpr auto w = input<"W", mat<Out, C * K * K>>;
  constexpr auto x = input<"x", image<C, H, W>>;
  constexpr auto f = conv2d<K, S, P>(w, x);
  static_assert(std::is_same_v<typename decltype(f)::shape, image<Out, (H + 2 * P - K) / S + 1, (W + 2 * P - K) / S + 1>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    return reference_conv<Out, C, H, W, K, S, P>(X.template get<"W">().data(), X.template get<"x">().data(), nullptr);
  });
}

// A window's max and mean, for the pool references.
template <std::size_t C, std::size_t H, std::size_t W, std::size_t K, std::size_t S, bool Max>
std::vector<double> reference_pool(const double* x) {
  std::vector<double> y;
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t i = 0; i + K <= H; i += S)
      for (std::size_t j = 0; j + K <= W; j += S) {
        double m = x[(c * H + i) * W + j], s = 0;
        for (std::size_t p = 0; p < K; ++p)
          for (std::size_t q = 0; q < K; ++q) {
            const double v = x[(c * H + i + p) * W + j + q];
            m = std::max(m, v);
            s += v;
          }
        y.push_back(Max ? m : s / double(K * K));
      }
  return y;
}

}  // namespace

TEST_CASE("conv2d against a reference convolution, with the laws") {
  SUBCASE("1 -> 1 channel, 3x3, stride 1, no padding") { check_conv<1, 1, 5, 5, 3, 1, 0>(); }
  SUBCASE("2 -> 3 channels, 3x3, stride 1, padding 1, not square") { check_conv<3, 2, 4, 5, 3, 1, 1>(); }
  SUBCASE("2 -> 2 channels, 3x3, stride 2, padding 1") { check_conv<2, 2, 5, 5, 3, 2, 1>(); }
  SUBCASE("3 -> 2 channels, 2x2, stride 2, no padding") { check_conv<2, 3, 4, 6, 2, 2, 0>(); }
  SUBCASE("1 -> 2 channels, 3x3, stride 2, padding 2") { check_conv<2, 1, 3, 3, 3, 2, 2>(); }
  SUBCASE("2 -> 2 channels, 1x1") { check_conv<2, 2, 2, 3, 1, 1, 0>(); }
}

TEST_CASE("conv2d with a bias per output channel") {
  constexpr auto w = input<"W", mat<3, 2 * 9>>;
  constexpr auto x = input<"x", image<2, 4, 4>>;
  constexpr auto b = input<"b", vec<3>>;
  constexpr auto f = conv2d<3, 1, 1>(w, x, b);
  static_assert(std::is_same_v<decltype(f)::shape, image<3, 4, 4>>);
  laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
    return reference_conv<3, 2, 4, 4, 3, 1, 1>(X.get<"W">().data(), X.get<"x">().data(), X.get<"b">().data());
  });
}

TEST_CASE("pooling and flatten laws") {
  constexpr auto x = input<"x", image<2, 4, 6>>;
  SUBCASE("max pool 2x2, stride 2") {
    constexpr auto f = max_pool2d<2>(x);
    static_assert(std::is_same_v<decltype(f)::shape, image<2, 2, 3>>);
    laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
      return reference_pool<2, 4, 6, 2, 2, true>(X.get<"x">().data());
    });
  }
  SUBCASE("max pool 3x3, stride 1 (overlapping)") {
    constexpr auto f = max_pool2d<3, 1>(x);
    static_assert(std::is_same_v<decltype(f)::shape, image<2, 2, 4>>);
    laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
      return reference_pool<2, 4, 6, 3, 1, true>(X.get<"x">().data());
    });
  }
  SUBCASE("average pool 2x2, stride 2") {
    constexpr auto f = avg_pool2d<2>(x);
    laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
      return reference_pool<2, 4, 6, 2, 2, false>(X.get<"x">().data());
    });
  }
  SUBCASE("average pool 3x3, stride 1 (overlapping)") {
    constexpr auto f = avg_pool2d<3, 1>(x);
    laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
      return reference_pool<2, 4, 6, 3, 1, false>(X.get<"x">().data());
    });
  }
  SUBCASE("flatten an image and a matrix") {
    constexpr auto f = flatten(x);
    static_assert(std::is_same_v<decltype(f)::shape, vec<48>>);
    laws::check(f, [](const laws::inputs_of<decltype(f)>& X) {
      return std::vector<double>(X.get<"x">().begin(), X.get<"x">().end());
    });
    // A matrix: the same rule (storage order) as the image's, in double
    // over inputs.
    constexpr auto A = input<"A", mat<2, 3>>;
    constexpr auto g = flatten(A);
    static_assert(std::is_same_v<decltype(g)::shape, vec<6>>);
    laws::check<laws::scope::double_inputs>(g, [](const laws::inputs_of<decltype(g)>& X) {
      return std::vector<double>(X.get<"A">().begin(), X.get<"A">().end());
    });
    constexpr auto v = input<"v", vec<3>>;
    static_assert(std::is_same_v<decltype(flatten(v)), std::remove_cvref_t<decltype(v)>>);
  }
}
