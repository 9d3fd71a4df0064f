#pragma once
// A number seen as a row of SIMD registers ("parts").
//
// The register-blocked forms of the product rules (ops/blocked_products.hpp)
// work on the registers of a number, not on the number as a whole: a
// lane_pack<E, K> (simd/lane_pack.hpp) is K registers of samples, and a
// blocked kernel keeps a few outputs times a few of those registers in
// accumulators. Any other number (float, double, a dual number) is one part
// of one lane. The blocked kernels are written against this adapter only,
// so the op headers need not know xsimd.
//
//   number_parts<T>::count        registers per number
//   number_parts<T>::lanes        lanes per register
//   number_parts<T>::part_type    the register type
//   number_parts<T>::get(x, k)    register k of x
//   number_parts<T>::pin(r)       keeps r in a register (see lane_pack)
//   number_parts<T>::sum_lanes<N>(regs, out)   out[k] = Σ lanes of regs[k]

#include <cstddef>
#include <type_traits>

#include <tapeless/core/attributes.hpp>

namespace tapeless::math {

template <class T>
struct number_parts {
  using part_type = T;
  using element_type = T;
  static constexpr std::size_t count = 1;
  static constexpr std::size_t lanes = 1;
  static constexpr part_type& get(T& x, std::size_t) { return x; }
  static constexpr const part_type& get(const T& x, std::size_t) { return x; }
  static constexpr void pin(part_type&) {}
  template <std::size_t N>
  static constexpr void sum_lanes(const part_type* regs, element_type* out) {
    for (std::size_t k = 0; k < N; ++k) out[k] = regs[k];
  }
};

// Numbers that declare their registers: T::parts registers of
// T::part_type in T::part, with T::pin and T::sum_lanes.
template <class T>
  requires requires { T::parts; typename T::part_type; }
struct number_parts<T> {
  using part_type = typename T::part_type;
  using element_type = typename T::value_type;
  static constexpr std::size_t count = T::parts;
  static constexpr std::size_t lanes = T::lanes / T::parts;
  static constexpr part_type& get(T& x, std::size_t k) { return x.part[k]; }
  static constexpr const part_type& get(const T& x, std::size_t k) { return x.part[k]; }
  static void pin(part_type& r) { T::pin(r); }
  template <std::size_t N>
  TAPELESS_ALWAYS_INLINE static void sum_lanes(const part_type* regs, element_type* out) {
    T::template sum_lanes<N>(regs, out);
  }
};

// Whether T is made of several registers (a blocked kernel pays off).
template <class T>
inline constexpr bool multi_part = number_parts<T>::count > 1;

// Op::primal (an elementary function of a float, a double or one SIMD
// register) applied register by register: how a number made of registers
// gets exp, sin and the like without a function of its own per name.
template <class Op, class T>
T per_register(const T& x) {
  using P = number_parts<T>;
  if constexpr (P::count == 1 && std::is_same_v<typename P::part_type, T>) {
    return Op::primal(x);
  } else {
    T r;
    for (std::size_t k = 0; k < P::count; ++k) P::get(r, k) = Op::primal(P::get(x, k));
    return r;
  }
}

}  // namespace tapeless::math
