#pragma once
// A seeded generator whose output depends only on the seed.
//
// xoshiro256** (Blackman and Vigna, 2018), its 256-bit state filled from the
// 64-bit seed by splitmix64 as its authors recommend. Both use only 64-bit
// unsigned xor, shift, rotate, add and multiply, which C++ defines to the
// bit, so every platform and compiler produce the same words. The <random>
// engines are exact too, but its distributions are not specified to the bit
// (libstdc++ and libc++ give different normals), hence our own below.
//
// Uniform numbers take the top p bits of one word (p = 24 for float, 53 for
// double) and scale them by a power of two: exact, no rounding anywhere.

#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace tapeless::init {

namespace detail {
// IEEE binary32 and binary64: the only types whose bits we promise.
template <class T>
concept reproducible_float = (std::same_as<T, float> || std::same_as<T, double>)&&std::numeric_limits<T>::is_iec559;

// splitmix64 (Steele, Lea and Flood; Vigna's reference code): advances
// `state` and returns the next word.
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
  state += 0x9e3779b97f4a7c15u;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}
}  // namespace detail

// xoshiro256**: rng g(seed); g() is the next 64-bit word. Satisfies
// std::uniform_random_bit_generator.
class rng {
 public:
  using result_type = std::uint64_t;

  // State words s0..s3 are the first four splitmix64 outputs from `seed`.
  constexpr explicit rng(std::uint64_t seed) noexcept {
    for (std::uint64_t& word : state_) word = detail::splitmix64_next(seed);
  }

  // A generator in a given state (not all zero), e.g. to check the
  // reference vectors of xoshiro256** or to resume a saved stream.
  static constexpr rng from_state(const std::array<std::uint64_t, 4>& state) noexcept {
    rng g(0);
    g.state_ = state;
    return g;
  }

  constexpr result_type operator()() noexcept {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  constexpr const std::array<std::uint64_t, 4>& state() const noexcept { return state_; }

  friend constexpr bool operator==(const rng&, const rng&) = default;

 private:
  std::array<std::uint64_t, 4> state_{};
};

// k * 2^-p in [0, 1), k the top p bits of one word (p = 24 or 53).
template <detail::reproducible_float T>
constexpr T uniform01(rng& g) noexcept {
  constexpr int p = std::numeric_limits<T>::digits;
  constexpr T scale = T(1) / static_cast<T>(std::uint64_t{1} << p);
  return static_cast<T>(g() >> (64 - p)) * scale;
}

// (k - 2^(p-1)) * 2^-(p-1) in [-1, 1), k the top p bits of one word: a grid
// symmetric about 0 with spacing 2^-(p-1); -1 can occur, 1 cannot.
template <detail::reproducible_float T>
constexpr T uniform_symmetric(rng& g) noexcept {
  constexpr int p = std::numeric_limits<T>::digits;
  constexpr std::int64_t half = std::int64_t{1} << (p - 1);
  constexpr T scale = T(1) / static_cast<T>(half);
  return static_cast<T>(static_cast<std::int64_t>(g() >> (64 - p)) - half) * scale;
}

}  // namespace tapeless::init
