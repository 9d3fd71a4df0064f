#pragma once
// Standard normal variates that are the same bits on every compiler and libm.
//
// Marsaglia's polar method: draw u, v from the symmetric uniform grid until
// 0 < s = u^2 + v^2 < 1, then return u f and v f with f = sqrt(-2 ln(s) / s).
// It needs one transcendental, ln, and no tables. std::log is not required
// to be correctly rounded, so glibc, musl, macOS and MSVC may differ in the
// last bit; ln is therefore computed here with +, -, *, / and std::fma only.
// Every product that feeds a sum is an explicit std::fma (exactly rounded
// everywhere) or exact (m * 2), so -ffp-contract cannot change the result;
// sqrt and / are correctly rounded by IEEE 754.

#include <array>
#include <cmath>
#include <cstddef>
#include <utility>

#include <tapeless/init/rng.hpp>

namespace tapeless::init {

namespace detail {
// c[j] = 1 / (2j + 3), the double nearest: ln((1+s)/(1-s)) = 2 s (1 + s^2 c(s^2)).
inline constexpr std::size_t log_terms = 10;
inline constexpr std::array<double, log_terms> log_coefficients = [] {
  std::array<double, log_terms> c{};
  for (std::size_t j = 0; j < log_terms; ++j) c[j] = 1.0 / static_cast<double>(2 * j + 3);
  return c;
}();

// ln x for finite x > 0, within a few ulp of the true value, the same bits
// everywhere. x = m 2^e with m in [sqrt(1/2), sqrt(2)); s = (m - 1) / (m + 1)
// has |s| < 0.172, so ten terms of the atanh series reach 2^-53.
inline double deterministic_log(double x) noexcept {
  int e = 0;
  double m = std::frexp(x, &e);    // exact: x = m 2^e, m in [1/2, 1)
  if (m < 0x1.6a09e667f3bcdp-1) {  // sqrt(1/2) rounded
    m = m * 2;                     // exact
    e = e - 1;
  }
  const double f = m - 1;  // exact (Sterbenz)
  const double d = m + 1;
  const double s = f / d;
  const double z = s * s;
  double p = log_coefficients[log_terms - 1];
  for (std::size_t j = log_terms - 1; j-- > 0;) p = std::fma(p, z, log_coefficients[j]);
  const double sz = s * z;
  const double half_log_m = std::fma(sz, p, s);                          // atanh(s) = ln(m) / 2
  const double log_m = half_log_m * 2;                                   // exact
  return std::fma(static_cast<double>(e), 0x1.62e42fefa39efp-1, log_m);  // + e ln 2
}
}  // namespace detail

// Two independent N(0, 1) variates. Each attempt takes two words (u first),
// and is accepted with probability pi/4.
inline std::pair<double, double> standard_normal_pair(rng& g) noexcept {
  for (;;) {
    const double u = uniform_symmetric<double>(g);
    const double v = uniform_symmetric<double>(g);
    const double vv = v * v;
    const double s = std::fma(u, u, vv);
    if (s == 0 || s >= 1) continue;
    const double q = (-2 * detail::deterministic_log(s)) / s;  // -2 ln s is exact scaling
    const double f = std::sqrt(q);
    return {u * f, v * f};
  }
}

}  // namespace tapeless::init
