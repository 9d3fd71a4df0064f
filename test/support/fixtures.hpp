#pragma once
// Random points and the error measure the tests share.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace fixtures {

// Every entry of a parameter (or input) buffer uniform in [-scale, scale].
template <class B>
void randomize(B& b, unsigned seed, double scale = 0.5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  for (auto& v : b.span()) v = typename B::element_type(u(rng));
}

template <std::size_t N>
std::array<double, N> random_array(unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  std::array<double, N> out;
  for (double& v : out) v = u(rng);
  return out;
}

inline std::vector<double> random_vector(std::size_t n, unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> out(n);
  for (double& v : out) v = u(rng);
  return out;
}

// |a - b| / max(1, |a|, |b|): relative for large values, absolute for small.
inline double mixed_error(double a, double b) {
  return std::abs(a - b) / std::max({1.0, std::abs(a), std::abs(b)});
}

}  // namespace fixtures
