// docs/design.md, "How to add an op", followed literally for an op that is
// not in the library: erf, an elementary function. Its derivative is
// written once, below; nothing else in the library knows erf. The laws
// (value, JVP, VJP, the adjoint identity, forward and reverse Jacobians,
// and the Hessian through the VJP rule on dual numbers) and the batch
// engine (xsimd's erf, one sample per lane) then work for it.

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "batch_check.hpp"
#include "laws.hpp"

// --- what an ops/erf.hpp would hold ---------------------------------------
// erf x, elementwise.
//   value  y = erf(x)
//   VJP    x̄ += ȳ (2/√π) e^(−x²)
//   JVP    ẏ = (2/√π) e^(−x²) ẋ
namespace tapeless {

struct erf_op : unary_elementwise {
  static auto primal(const auto& v) {
    using std::erf;
    return erf(v);
  }
  static auto value(const auto& x) { return math::per_register<erf_op>(x); }
  static auto derivative(const auto& x) {
    using T = std::remove_cvref_t<decltype(x)>;
    return T(1.1283791670955126) * math::exp(-(x * x));  // 2/√π e^(−x²)
  }
  static auto vjp(const auto& x, const auto&, const auto& ybar) { return ybar * derivative(x); }
  static auto jvp(const auto& x, const auto&, const auto& xdot) { return derivative(x) * xdot; }
};

template <expression X>
constexpr auto erf(X x) {
  return detail::make_node<erf_op>(x);
}

namespace math {
template <class T>
T erf(const T& x) {
  return apply<erf_op>(x);
}
}  // namespace math

}  // namespace tapeless
// ---------------------------------------------------------------------------

using namespace tapeless;

namespace {
double ref_erf(double x) { return std::erf(x); }

constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y">;
constexpr auto W = param<"W", mat<2, 2>>;
constexpr auto b = param<"b", vec<2>>;
constexpr auto loss = sum(erf(W * x + b) * y + erf(erf(b)));
}  // namespace

TEST_CASE("an op built from the documented steps alone: the laws") {
  constexpr auto a = input<"a", vec<4>>;
  laws::check(erf(a), laws::unary_reference<decltype(erf(a))>(ref_erf), {.lo = -2.5, .hi = 2.5});
  laws::check(erf(input<"a", scalar>), laws::unary_reference<decltype(erf(input<"a", scalar>))>(ref_erf));
  // math::erf on dual numbers: the tangent is the op's JVP.
  const dual<double> d = math::erf(dual<double>(0.5, 2.0));
  CHECK(d.value == doctest::Approx(std::erf(0.5)));
  CHECK(d.tangent == doctest::Approx(2.0 * 1.1283791670955126 * std::exp(-0.25)));
}

TEST_CASE_TEMPLATE("an op built from the documented steps alone: the batch engine", E, float, double) {
  std::mt19937 rng(99);
  batch_check::check_at_every_tail_size(loss, batch_check::random_params<decltype(loss), E>(rng), rng);
}
