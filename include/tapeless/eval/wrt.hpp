#pragma once
// wrt<"x", "fc1.W">: the variables a Jacobian or Hessian is taken with
// respect to, by name. Each name is an input or a parameter of the
// expression; together they form one flat vector of n numbers, the leaves
// in the order named, each flattened row-major. Column j of a Jacobian is
// the derivative with respect to entry j of that vector.
//
// Also the pieces the multi-direction drivers share: where each entry of
// the wrt vector lives during a sweep, and one SIMD lane per direction.

#include <array>
#include <cstddef>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/core/type_list.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/simd/lane_pack.hpp>
#include <type_traits>
#include <xsimd/xsimd.hpp>

namespace tapeless {

template <class... Names>
struct wrt_t {};

template <fixed_string... Names>
inline constexpr wrt_t<name_of<Names>...> wrt{};

// How jacobian() builds the matrix: one forward sweep per column, one
// reverse sweep per row, or whichever needs fewer (decided at compile time).
enum class sweep_mode { automatic, forward, reverse };

namespace detail {

template <class Name>
struct no_input_or_parameter_named {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};
template <class Name>
struct named_twice_in_wrt {
  static constexpr bool value = false;
};

// The input or parameter of Root called Name; void when there is none
// (wrt_of reports it).
template <class Root, class Name,
          class Found =
              filter_t<concat_t<typename graph<Root>::inputs, typename graph<Root>::params>, named<Name>::template is>>
struct wrt_leaf {
  using type = void;
};
template <class Root, class Name, class Leaf>
struct wrt_leaf<Root, Name, type_list<Leaf>> {
  using type = Leaf;
};

// The wrt vector of the leaves L... of Root, in a call with parameter
// buffer ParamSet.
template <class Root, class ParamSet, class... L>
struct wrt_layout {
  static constexpr std::size_t count = sizeof...(L);
  static constexpr std::array<std::size_t, count> sizes{L::shape::size...};
  // first[i]: the entry of the wrt vector where leaf i starts.
  static constexpr auto first = prefix_sums(sizes);
  static constexpr std::size_t size = first[count];
  static constexpr std::array<bool, count> in_params{param_leaf<L>...};
  static constexpr bool any_param = (param_leaf<L> || ...);

  template <class Leaf>
  static constexpr std::size_t storage_offset() {
    if constexpr (param_leaf<Leaf>)
      return ParamSet::template offset_of<Leaf>();
    else
      return slot_layout<Root>::template offset<Leaf>;
  }
  // offset[i]: where leaf i's first number is, in the parameter buffers
  // (in_params[i]) or in the node slots.
  static constexpr std::array<std::size_t, count> offset{storage_offset<L>()...};

  // Calls f(entry, in_params, offset) for every entry of the wrt vector.
  template <class F>
  static void for_each_entry(F&& f) {
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t e = 0; e < sizes[i]; ++e) f(first[i] + e, in_params[i], offset[i] + e);
  }
};

template <class Root, class ParamSet, class Leaves>
struct wrt_layout_of;
template <class Root, class ParamSet, class... L>
struct wrt_layout_of<Root, ParamSet, type_list<L...>> {
  using type = wrt_layout<Root, ParamSet, L...>;
};

// The leaves named by wrt_t<Names...> in Root, with the checks.
template <class Root, class ParamSet, class Wrt>
struct wrt_of;
template <class Root, class ParamSet, class... Names>
struct wrt_of<Root, ParamSet, wrt_t<Names...>> {
  static constexpr bool distinct = [] {
    constexpr std::array<bool, sizeof...(Names)> once{
        (filter_t<type_list<Names...>, same_as_pred<Names>::template is>::size == 1)...};
    return first_false(once) == sizeof...(Names);
  }();
  // The checks are static_asserts in functions, not in the class body: clang
  // drops the members of a class whose body failed one, and reports every
  // later use of them too.
  static constexpr bool names_ok() {
    if constexpr (sizeof...(Names) == 0)
      static_assert(named_twice_in_wrt<type_list<Names...>>::value,
                    "tapeless: wrt<...> needs at least one input or parameter name");
    else if constexpr (!distinct)
      static_assert(named_twice_in_wrt<type_list<Names...>>::value,
                    "tapeless: wrt<...> names a variable twice (the names are the template argument above)");
    return sizeof...(Names) > 0 && distinct;
  }
  template <class Name>
  static constexpr bool name_found() {
    constexpr bool found = !std::is_void_v<typename wrt_leaf<Root, Name>::type>;
    if constexpr (!found)
      static_assert(no_input_or_parameter_named<Name>::value,
                    "tapeless: wrt<name>: the expression has no input or parameter of that name (the name is the "
                    "template argument above)");
    return found;
  }
  static constexpr bool found = names_ok() && (name_found<Names>() && ...);
  using leaves = type_list<typename wrt_leaf<Root, Names>::type...>;
  // Empty after a missing name, so that only that name's error is reported.
  using layout = typename std::conditional_t<found, wrt_layout_of<Root, ParamSet, leaves>,
                                             std::type_identity<wrt_layout<Root, ParamSet>>>::type;
  // n; 1 after an error, so that no zero-sized shape adds a message.
  static constexpr std::size_t size = found ? layout::size : 1;

  // The sweeps differentiate with respect to exactly these leaves.
  struct seeds {
    template <class Leaf>
    static constexpr bool seeded = list_contains<Leaf, leaves>;
  };
};

template <std::size_t Bytes>
struct stack_workspace_too_large {
  static constexpr bool value = false;
};

// The multi-direction drivers (jacobian, hessian, jvp with several
// directions) keep their arrays and result on the stack; past this they
// refuse at compile time rather than overflow it. They have no engine form
// yet, so their limit is larger than TAPELESS_STACK_LIMIT (eval/
// stack_limit.hpp): TAPELESS_JACOBIAN_STACK_LIMIT, 4 MiB unless defined
// before the first tapeless header.
#ifndef TAPELESS_JACOBIAN_STACK_LIMIT
#define TAPELESS_JACOBIAN_STACK_LIMIT (std::size_t(4) << 20)
#endif
inline constexpr std::size_t stack_limit = TAPELESS_JACOBIAN_STACK_LIMIT;
template <std::size_t Bytes>
constexpr bool fits_on_stack() {
  if constexpr (Bytes > stack_limit)
    static_assert(stack_workspace_too_large<Bytes>::value,
                  "tapeless: this call's workspace and result (bytes above) would take more stack than "
                  "TAPELESS_JACOBIAN_STACK_LIMIT (4 MiB by default); differentiate with respect to fewer variables, "
                  "or use vjp/jvp per direction");
  return Bytes <= stack_limit;
}

// One direction per SIMD lane: the lane pack of the build's widest
// registers (hessian() runs its directions in it), a unit vector in it, and
// one lane read back.
template <class E>
using direction_pack = lane_pack<E, 1>;

template <class E>
direction_pack<E> unit_lane(std::size_t lane) {
  alignas(64) std::array<E, direction_pack<E>::lanes> lanes{};
  if (lane < lanes.size()) lanes[lane] = E(1);
  direction_pack<E> p;
  p.part[0] = direction_pack<E>::part_type::load_aligned(lanes.data());
  return p;
}

template <class E>
std::array<E, direction_pack<E>::lanes> lanes_of(const direction_pack<E>& p) {
  alignas(64) std::array<E, direction_pack<E>::lanes> lanes;
  p.part[0].store_aligned(lanes.data());
  return lanes;
}

// ---- the number that carries a pass's directions --------------------------
//
// jacobian() and jvp() with many directions pick, at compile time from the
// number of directions D and the kind of pass, the number type T of
// tangents and adjoints (one direction per lane):
//
//   D = 1                        E itself: one plain number per node entry
//   D <= lanes of 128 bits       one 128-bit register (2 doubles, 4 floats)
//   D <= lanes of 256 bits       one 256-bit register
//   D <= lanes of the widest     reverse: two registers of half the widest
//                                width (when the build has them with FMA);
//                                forward: one widest register
//   more                         lane_pack<E, K>: K widest registers, as
//                                few as hold D lanes but at most
//                                max_forward_bytes / max_reverse_bytes
//
// Narrower registers when fewer directions than lanes: the tangent or
// adjoint arrays shrink with them (less to clear and to move), and no
// arithmetic is spent on empty lanes. Several registers per number when more
// directions than lanes: fewer passes, each sharing the node values, and
// every multiply-add in the op rules then has K independent registers to
// work on, which hides the latency of their dependent chains; the
// matrix-product rules also switch to their register-blocked forms
// (ops/blocked_products.hpp) for numbers of several registers, in the
// reverse rules only. Hence the difference between the kinds of pass
// (measured with AVX-512 in double on the network of
// bench/jacobian_small.cpp, W2 tanh(W1 x + b1) with hidden width 32,
// same-run ratios of medians):
//
// - forward: one pass is what pays. n = 32, m = 64: 4 registers (1 pass)
//   0.72x the time of 2 (2 passes), 8 registers (1 pass, half empty) 1.16x;
//   n = 48: 8 registers (1 pass) 0.81x the time of 2 (3 passes); n = 8,
//   m = 16: two 256-bit registers 1.55x the time of one 512-bit register.
// - reverse: the blocked rules have their parallelism from 2 registers on,
//   and more only grow the adjoint arrays. n = m = 64: 4 registers 1.08-1.18x
//   and 8 registers 1.07-1.14x the time of 2 (4 passes); n = m = 32:
//   4 registers 1.04-1.05x; n = 12, m = 6: two 256-bit registers 0.90x the
//   time of one 512-bit register (n = m = 8: 0.95x).
//
// Every lane does the operations it would do in the widest register. The
// rounding can still differ by whether a multiply and an add are fused,
// which can depend on the width (xsimd 8.1 has FMA kernels for 128- and
// 256-bit registers, not for 512-bit ones, where only a compiler that
// contracts fuses them; g++ does by default, clang++ 14 does not) and, for
// a plain number, on the compiler.

// A number of a pass takes at most this many bytes: forward 8 AVX-512
// registers (64 doubles), reverse 2.
inline constexpr std::size_t max_forward_bytes = 512;
inline constexpr std::size_t max_reverse_bytes = 128;

// The first of the instruction sets A... that the build has, else void.
template <class... A>
struct first_supported {
  using type = void;
};
template <class A, class... Rest>
struct first_supported<A, Rest...> {
  using type = std::conditional_t<A::supported(), A, typename first_supported<Rest...>::type>;
};

// Registers of Bytes bytes; with FMA when the build has it (one instruction
// per multiply-add). xsimd 8 has no 128-bit registers with FMA in builds with
// AVX: there 2 doubles take a 256-bit register.
inline constexpr bool build_has_fma = XSIMD_WITH_FMA3_SSE || XSIMD_WITH_FMA3_AVX || XSIMD_WITH_FMA3_AVX2;
template <std::size_t Bytes>
struct narrow_arch {
  using type = void;
};
template <>
struct narrow_arch<16> {
  using type = std::conditional_t<build_has_fma, typename first_supported<xsimd::fma3<xsimd::sse4_2>>::type,
                                  typename first_supported<xsimd::sse4_2, xsimd::sse2>::type>;
};
template <>
struct narrow_arch<32> {
  using type = std::conditional_t<build_has_fma,
                                  typename first_supported<xsimd::fma3<xsimd::avx2>, xsimd::fma3<xsimd::avx>>::type,
                                  typename first_supported<xsimd::avx2, xsimd::avx>::type>;
};

template <class E, std::size_t Bytes, class A = typename narrow_arch<Bytes>::type>
struct narrow_pack {
  using type = void;
};
template <class E, std::size_t Bytes, class A>
  requires(!std::is_void_v<A> && sizeof(xsimd::batch<E, A>) == Bytes && Bytes < sizeof(xsimd::batch<E>))
struct narrow_pack<E, Bytes, A> {
  using type = lane_pack<E, 1, A>;
};

template <class E, std::size_t Bytes>
struct two_halves {
  using type = void;
};
template <class E, std::size_t Bytes>
  requires(!std::is_void_v<typename narrow_pack<E, Bytes / 2>::type>)
struct two_halves<E, Bytes> {
  using half = typename narrow_pack<E, Bytes / 2>::type;
  using type = lane_pack<E, 2, typename half::part_type::arch_type>;
};

template <class E, std::size_t D, bool Reverse,
          std::size_t MaxBytes = Reverse ? max_reverse_bytes : max_forward_bytes>
struct pick_direction_number {
  static constexpr std::size_t wide = xsimd::batch<E>::size;
  using n128 = typename narrow_pack<E, 16>::type;
  using n256 = typename narrow_pack<E, 32>::type;
  using halves = typename two_halves<E, sizeof(xsimd::batch<E>)>::type;
  static constexpr std::size_t needed = (D + wide - 1) / wide;
  static constexpr std::size_t most = MaxBytes / sizeof(xsimd::batch<E>);
  static constexpr std::size_t parts = needed < most ? needed : most;
  using many = lane_pack<E, parts < 1 ? 1 : parts>;
  using type = std::conditional_t<
      D <= 1, E,
      std::conditional_t<
          !std::is_void_v<n128> && D * sizeof(E) <= 16, n128,
          std::conditional_t<!std::is_void_v<n256> && D * sizeof(E) <= 32, n256,
                             std::conditional_t<Reverse && D <= wide && !std::is_void_v<halves>, halves, many>>>>;
};

// The number of a forward (Reverse false) or reverse pass for D directions.
template <class E, std::size_t D, bool Reverse>
using direction_number = typename pick_direction_number<E, D, Reverse>::type;

// The same for a call that keeps Count of them and OtherBytes more on the
// stack: when that would pass the stack limit, at most one widest register
// per number (many parameter tangents, say), so that the limit is not
// reached sooner than with one register.
template <class E, std::size_t D, bool Reverse, std::size_t Count, std::size_t OtherBytes>
using direction_number_within =
    std::conditional_t<Count * sizeof(direction_number<E, D, Reverse>) + OtherBytes <= stack_limit,
                       direction_number<E, D, Reverse>,
                       typename pick_direction_number<E, D, Reverse, sizeof(xsimd::batch<E>)>::type>;

// Lane access for the direction numbers: `lanes`, and `load` / `store` of
// all lanes from or to `lanes` consecutive numbers.
template <class T>
struct direction_lanes;
template <class E>
  requires std::is_floating_point_v<E>
struct direction_lanes<E> {
  using element_type = E;
  static constexpr std::size_t lanes = 1;
  static E load(const E* in) { return in[0]; }
  static void store(const E& v, E* out) { out[0] = v; }
};
template <class E, std::size_t K, class A>
struct direction_lanes<lane_pack<E, K, A>> {
  using element_type = E;
  using pack = lane_pack<E, K, A>;
  static constexpr std::size_t width = pack::part_type::size;
  static constexpr std::size_t lanes = pack::lanes;
  static pack load(const E* in) {
    pack p;
    for (std::size_t k = 0; k < K; ++k) p.part[k] = pack::part_type::load_unaligned(in + k * width);
    return p;
  }
  static void store(const pack& p, E* out) {
    for (std::size_t k = 0; k < K; ++k) p.part[k].store_unaligned(out + k * width);
  }
};

}  // namespace detail
}  // namespace tapeless
