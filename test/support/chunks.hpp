#pragma once
// Chunks of samples (lane_pack numbers) for the tests of the register-blocked
// kernels: random numbers, closeness of registers, and sums over lanes.

#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include <tapeless/simd/lane_pack.hpp>

namespace chunks {

// S numbers of type T (a lane_pack) with every lane uniform in [-1, 1].
template <class T, std::size_t S>
std::vector<T> random_numbers(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> v(S);
  for (auto& x : v)
    for (auto& p : x.part) {
      alignas(64) typename T::value_type e[T::part_type::size];
      for (auto& l : e) l = typename T::value_type(u(rng));
      p = T::part_type::load_aligned(e);
    }
  return v;
}

// Equal up to the rounding of `terms` products of numbers in [-1, 1]: the
// same operations in the same order, except where the compiler contracts a
// multiply and an add differently in the two (GCC's default
// -ffp-contract=fast does, at -O3).
template <class R>
bool close(const R& a, const R& b, std::size_t terms) {
  using E = typename R::value_type;
  const E tol = E(4 * terms) * std::numeric_limits<E>::epsilon();
  return xsimd::all(xsimd::abs(a - b) <= R(tol));
}

// Lane l of register g of x, as a double.
template <class T>
double lane(const T& x, std::size_t g, std::size_t l) {
  alignas(64) typename T::value_type v[T::part_type::size];
  x.part[g].store_aligned(v);
  return double(v[l]);
}

}  // namespace chunks
