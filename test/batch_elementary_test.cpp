// The elementary functions whose rules come from their op headers alone
// (sin, cos, log1p, expm1, pow): the batch path, one sample per SIMD lane
// with xsimd's functions, against the scalar path summed over the same
// samples, at every tail size. Parameters broadcast into the functions,
// so parameter gradients go through them too.

#include <random>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "batch_check.hpp"

using namespace tapeless;
using namespace batch_check;

namespace {
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y">;
constexpr auto W = param<"W", mat<2, 2>>;
constexpr auto b = param<"b", vec<2>>;
constexpr auto w = param<"w", vec<2>>;

constexpr auto z = W * x + b;
constexpr auto elementary = sum(sin(z) * w + cos(z + y) + log1p(square(z)) + expm1(-square(z) * 0.5_c) +
                                pow(square(z) + 1_c, 1.5_c) + pow(z, 3_c) * 0.1_c + pow(square(w) + 1_c, -1_c) * z);
}  // namespace

TEST_CASE_TEMPLATE("sin, cos, log1p, expm1 and pow: batch equals the scalar path at every tail size", E, float,
                   double) {
  std::mt19937 rng(4321);
  check_at_every_tail_size(elementary, random_params<decltype(elementary), E>(rng), rng);
}
