#pragma once
// Initialize every parameter of a network at once:
//
//   params<decltype(loss), float> P;
//   init::initialize(P, init::he_normal, 42);
//
// Leaves are visited in buffer order (P.layout_info()). Each matrix gets the
// scheme, with fan_in = cols and fan_out = rows, from one generator seeded
// once; vectors and scalars (biases) get zeros and take no words from the
// generator. The result therefore depends only on the seed, the scheme and
// the shapes and order of the matrices: adding a bias changes no weight.

#include <algorithm>
#include <cstdint>
#include <span>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/init/rng.hpp>
#include <tapeless/init/schemes.hpp>

namespace tapeless::init {

// A scheme is anything callable as scheme(std::span<E>, fan, rng&): the
// schemes of schemes.hpp, constant(c), or your own.
template <class B, class Scheme>
void initialize(B& P, const Scheme& scheme, rng& g) {
  constexpr bool is_buffer = leaf_storage<B> && !std::is_const_v<B>;
  if constexpr (!is_buffer) {
    static_assert(is_buffer,
                  "tapeless::init::initialize(P, scheme, seed) requires P to be a mutable parameter buffer "
                  "(params<decltype(loss), E>)");
  } else {
    using E = typename B::element_type;
    constexpr bool is_scheme = std::is_invocable_v<const Scheme&, std::span<E>, fan, rng&>;
    if constexpr (!is_scheme) {
      static_assert(is_scheme,
                    "tapeless::init::initialize(P, scheme, seed) requires a scheme callable as "
                    "scheme(std::span<E>, init::fan, init::rng&), such as init::he_normal");
    } else {
      for (const leaf_info& leaf : B::layout_info()) {
        const std::span<E> region(P.data() + leaf.offset, leaf.size);
        if (leaf.rank == 2)
          scheme(region, fan_of(leaf), g);
        else
          std::fill(region.begin(), region.end(), E(0));
      }
    }
  }
}

template <class B, class Scheme>
void initialize(B& P, const Scheme& scheme, std::uint64_t seed) {
  rng g(seed);
  initialize(P, scheme, g);
}

}  // namespace tapeless::init
