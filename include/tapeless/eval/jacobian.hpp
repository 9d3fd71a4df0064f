#pragma once
// The full Jacobian of a vector-valued expression, in the cheaper mode.
//
//   auto J = jacobian(f, P, wrt<"x">, bind<"x">(x));
//   J.matrix(i, j)       // ∂f_i / ∂x_j, an m × n tensor
//   decltype(J)::mode    // sweep_mode::forward or sweep_mode::reverse
//   decltype(J)::sweeps  // n (forward) or m (reverse)
//
// A forward sweep pushes one direction through the graph and yields one
// column J e_j; a reverse sweep pulls one cotangent back and yields one row
// e_iᵀ J. Both cost a small multiple of evaluating f, so the matrix takes n
// forward or m reverse sweeps, and the cheaper choice is the one with fewer
// (docs/jacobians.md). The choice is made at compile time from n and m;
// `jacobian<sweep_mode::forward>(...)` or `<sweep_mode::reverse>` forces
// one.
//
// Directions travel together, one per SIMD lane: node values are computed
// once and shared by all lanes, tangents or adjoints are per lane. Their
// number type is chosen at compile time from the number of directions
// (direction_number, eval/wrt.hpp): a plain number for one, a register no
// wider than needed for a few, several of the widest registers for many. `lanes` is the directions per pass, `passes` the trips through the
// graph: ⌈sweeps / lanes⌉.
//
// With respect to: inputs and parameters by name (eval/wrt.hpp), in the
// order named, each flattened row-major; f is flattened the same way.
// Memory: the node values and one direction number per node slot (forward)
// or per slot of the compact adjoint layout (reverse, eval/adjoint_plan.hpp)
// live on the stack, as does the m × n result; one per parameter entry is
// added when a parameter is among the wrt names. Meant for small and
// medium n and m.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/wrt.hpp>
#include <tapeless/ops/matvec.hpp>

namespace tapeless {

template <class V, class E, std::size_t M, std::size_t N, sweep_mode Mode, std::size_t Lanes>
struct jacobian_result {
  V value;                      // f at the point
  tensor<E, mat<M, N>> matrix;  // matrix(i, j) = ∂f_i / ∂w_j
  static constexpr std::size_t rows = M;
  static constexpr std::size_t cols = N;
  static constexpr sweep_mode mode = Mode;
  // Directions pushed forward (n columns) or pulled back (m rows). The seed's
  // cost argument counts one sweep per direction.
  static constexpr std::size_t sweeps = Mode == sweep_mode::forward ? N : M;
  static constexpr std::size_t lanes = Lanes;
  // Trips through the graph, `lanes` directions at a time.
  static constexpr std::size_t passes = (sweeps + Lanes - 1) / Lanes;
  // The trips this call made, counted as they ran (tests compare it with
  // `passes`).
  std::size_t passes_run = 0;
};

template <class V, class E, std::size_t M, std::size_t K, std::size_t Lanes>
struct directional_derivatives {
  V value;                       // f at the point
  tensor<E, mat<M, K>> tangent;  // column k: J d_k
  static constexpr std::size_t sweeps = K;
  static constexpr std::size_t lanes = Lanes;
  static constexpr std::size_t passes = (K + Lanes - 1) / Lanes;
  std::size_t passes_run = 0;  // counted as they ran
};

namespace detail {

template <std::size_t Given, std::size_t Wanted>
struct directions_need_one_row_per_wrt_entry {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};

// Fewer sweeps wins. A tie (n = m) goes to reverse mode: at equal passes
// its passes were measured cheaper, 5-15% fewer instructions on the MLPs of
// bench/jacobian_modes.cpp (bench/RESULTS.md).
template <std::size_t M, std::size_t N>
inline constexpr sweep_mode cheaper_mode = N < M ? sweep_mode::forward : sweep_mode::reverse;

// T with lane `lane` 1 and the others 0.
template <class T, class E = typename direction_lanes<T>::element_type>
T unit_direction(std::size_t lane) {
  alignas(64) std::array<E, direction_lanes<T>::lanes> lanes{};
  lanes[lane] = E(1);
  return direction_lanes<T>::load(lanes.data());
}

// J D for K directions (the columns of D): K forward sweeps, run `lanes`
// at a time in the number type T (direction_number, eval/wrt.hpp).
// `direction(j, k)` is entry j of direction k; column k of J D goes to
// out(i, k). Returns f's value.
template <class Root, class ParamSet, class Wrt, std::size_t K, class T, class Direction, class Out, class... B>
result_t<typename ParamSet::element_type, typename Root::shape> push_directions(const ParamSet& P,
                                                                                const Direction& direction, Out&& out,
                                                                                std::size_t& passes,
                                                                                const B&... bindings) {
  using E = typename ParamSet::element_type;
  using io = direction_lanes<T>;
  using seeds = typename Wrt::seeds;
  using entries = typename Wrt::layout;
  constexpr std::size_t W = io::lanes, M = Root::shape::size;

  // The tangent arrays are not cleared: a tangent sweep reads only the
  // tangents of seeded leaves, which every pass sets below, and of active
  // nodes, each of which it writes before any use.
  std::array<E, slot_layout<Root>::size> values;
  std::array<T, slot_layout<Root>::size> tangents;
  std::array<T, entries::any_param ? ParamSet::size() : 0> param_tangents;
  load_inputs<Root, E>(values.data(), static_cast<E*>(nullptr), bindings...);

  sweep_arrays<T, E, E, E, T> arrays;
  arrays.values = values.data();
  arrays.tangents = tangents.data();
  arrays.params = P.data();
  arrays.param_tangents = param_tangents.data();

  for (std::size_t first = 0; first < K; first += W) {
    // Lane l of this pass carries direction first + l.
    entries::for_each_entry([&](std::size_t j, bool in_params, std::size_t at) {
      alignas(64) std::array<E, W> lanes{};
      for (std::size_t l = 0; l < W && first + l < K; ++l) lanes[l] = direction(j, first + l);
      (in_params ? param_tangents[at] : tangents[at]) = io::load(lanes.data());
    });
    if (first == 0)
      tangent_sweep<Root, ParamSet, seeds>(arrays);
    else
      tangent_only_sweep<Root, ParamSet, seeds>(arrays);
    ++passes;
    if constexpr (root_active<Root, seeds>) {
      auto block = tangent_view(arrays, root_location<Root, ParamSet>{});
      for (std::size_t i = 0; i < M; ++i) {
        if (first + W <= K) {  // row i of the result holds these lanes side by side
          io::store(block[i], &out(i, first));
        } else {
          alignas(64) std::array<E, W> lanes;
          io::store(block[i], lanes.data());
          for (std::size_t l = 0; first + l < K; ++l) out(i, first + l) = lanes[l];
        }
      }
    }
  }
  if constexpr (K == 0) forward_sweep<Root, ParamSet>(arrays);
  return read_value<Root, ParamSet>(arrays);
}

template <class Root, class ParamSet, class Wrt, class T, class Out, class... B>
void jacobian_by_columns(const ParamSet& P, Out& out, const B&... bindings) {
  using E = typename ParamSet::element_type;
  auto identity = [](std::size_t j, std::size_t k) { return E(j == k); };
  out.value =
      push_directions<Root, ParamSet, Wrt, Out::cols, T>(P, identity, out.matrix, out.passes_run, bindings...);
}

// Where each wrt entry's adjoint is during a reverse pass in the planned
// layout (eval/adjoint_plan.hpp): for an input, its block in the compact
// adjoint array (a seeded input's adjoint is kept to the end of the sweep);
// for a parameter, its offset in the parameter adjoints, as before.
template <class Root, class Wrt, class Leaves = typename Wrt::leaves>
struct planned_entry_offsets;
template <class Root, class Wrt, class... L>
struct planned_entry_offsets<Root, Wrt, type_list<L...>> {
  using plan = adjoint_plan<Root, typename Wrt::seeds>;
  template <class Leaf>
  static constexpr std::size_t offset_of() {
    if constexpr (param_leaf<Leaf>)
      return Wrt::layout::template storage_offset<Leaf>();
    else
      return plan::data.offset[index_of<Leaf, typename Root::nodes>::value];
  }
  static constexpr std::array<std::size_t, sizeof...(L)> offset{offset_of<L>()...};
};

// The planned reverse sweep (eval/adjoint_plan.hpp) with the blocks that
// receive their first contribution cleared by memset (all bits zero is +0,
// the zero the plan's own clearing writes): that clearing assigns a zero
// number element by element, which for a number of two 256-bit registers
// g++ 12 compiles, with AVX-512, into two 256-bit stores to the stack and
// one 512-bit reload per element, a failed store forward each time (64% of
// the reverse sweep's perf samples at n = 12, m = 6 of
// bench/jacobian_small.cpp).
template <class T, class E, class PA, class V, class PT, std::size_t O, class S>
void clear_block(const sweep_arrays<T, E, PA, V, PT>& a, adjoint_location<O, S>) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::memset(static_cast<void*>(a.adjoints + O), 0, S::size * sizeof(T));
}

template <class Call>
struct rows_reverse_step;
template <class Op, unsigned Active, class Out, class... In, class AdjOut, class AdjIns, class... Zero>
struct rows_reverse_step<planned_reverse_call<Op, Active, Out, type_list<In...>, AdjOut, AdjIns, type_list<Zero...>>> {
  using call = planned_reverse_call<Op, Active, Out, type_list<In...>, AdjOut, AdjIns, type_list<Zero...>>;
  template <class A>
  static void run(const A& a) {
    (clear_block(a, Zero{}), ...);
    call::pull_backs(a, std::index_sequence_for<In...>{});
  }
};

// Skip: how many op nodes, from the root down, not to run (0 or 1).
template <class Root, class ParamSet, class Seeds, std::size_t Skip, class A>
void rows_reverse_sweep(const A& arrays) {
  using sweep = planned_reverse<Root, ParamSet, Seeds>;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)std::initializer_list<int>{
        0, (rows_reverse_step<typename planned_call_at<Root, ParamSet, Seeds,
                                                       sweep::at[sweep::count - 1 - Skip - I]>::type>::run(arrays),
            0)...};
  }(std::make_index_sequence<sweep::count - Skip>{});
}

// Whether f is A h, a matrix-vector product whose matrix does not depend on
// the wrt variables and whose vector does (a dense output layer without
// bias, as in W2 tanh(W1 x + b1)). Then the root's VJP for the unit
// cotangent e_i is row i of A, ∂f_i/∂h_k = A_ik: a reverse pass starts at
// h, its adjoint lane l set to row first + l of A, instead of pulling unit
// vectors through A. Pulled through A they cost m·|h| multiply-adds per
// number register per pass, over all m rows whichever rows the pass
// carries: on W2 tanh(W1 x + b1) at n = m as many as the rest of the
// Jacobian, only to copy A's rows.
template <class Root, class Seeds, class Last = type_at<Root::size - 1, typename Root::nodes>>
struct root_matvec {
  static constexpr bool value = false;
};
template <class Root, class Seeds, class S, std::size_t A, std::size_t X>
struct root_matvec<Root, Seeds, op_node<matvec_op, S, A, X>> {
  static constexpr auto& active = activity<Root, Seeds>::active;
  static constexpr bool value = !active[A] && active[X];
  static constexpr std::size_t matrix = A, vector = X;
};

template <class Root, class ParamSet, class Wrt, class T, class Out, class... B>
void jacobian_by_rows(const ParamSet& P, Out& out, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using io = direction_lanes<T>;
  using seeds = typename Wrt::seeds;
  using entries = typename Wrt::layout;
  constexpr std::size_t W = io::lanes, M = Out::rows;

  // The adjoints live in the compact planned layout (as value_and_grad's):
  // each active node's block is zeroed when its first contribution
  // arrives, blocks are reused once their node has been propagated, and an
  // argument whose only use is an identity VJP (the product in W x + b)
  // shares its result's block instead of receiving a copy. So a pass
  // clears only the blocks that receive a contribution, not every active
  // node's, and touches a smaller array.
  using plan = adjoint_plan<Root, seeds>;
  using where = planned_entry_offsets<Root, Wrt>;
  std::array<E, slot_layout<Root>::size> values;
  std::array<T, plan::data.size> adjoints;
  std::array<T, entries::any_param ? ParamSet::size() : 0> param_adjoints;
  load_inputs<Root, E>(values.data(), static_cast<E*>(nullptr), bindings...);

  sweep_arrays<T, E, T, E> arrays;
  arrays.values = values.data();
  arrays.adjoints = adjoints.data();
  arrays.params = P.data();
  arrays.param_adjoints = param_adjoints.data();
  forward_sweep<Root, ParamSet>(arrays);
  out.value = read_value<Root, ParamSet>(arrays);

  if constexpr (root_active<Root, seeds>) {
    for (std::size_t first = 0; first < M; first += W) {
      // A reverse sweep adds into the seeded parameters' adjoints.
      for (std::size_t i = 0; i < entries::count; ++i)
        if (entries::in_params[i])
          std::fill_n(param_adjoints.begin() + entries::offset[i], entries::sizes[i], T(E(0)));
      // Lane l of this pass pulls back row first + l.
      if constexpr (root_matvec<Root, seeds>::value) {
        // f = A h: h's adjoint is written whole (its block, the first
        // contribution of the skipped root step, needs no clearing).
        using rm = root_matvec<Root, seeds>;
        const auto a = value_view(arrays, location_at<Root, ParamSet, rm::matrix>{});
        auto hbar = adjoint_view(arrays, planned_at<Root, ParamSet, seeds, rm::vector>{});
        constexpr std::size_t H = decltype(hbar)::size();
        if constexpr (W == 1) {
          for (std::size_t k = 0; k < H; ++k) hbar[k] = a(first, k);
        } else {
          // The rows transposed into a tile first, then whole numbers
          // loaded from it: a number loaded right after its lanes were
          // stored one by one waits for each store (no store forwarding
          // from several narrow stores to a wide load). Lanes past row m
          // (a last, partial pass) repeat row m - 1: finite numbers, never
          // read out, and no clearing of the tile.
          alignas(64) std::array<E, H * W> tile;
          for (std::size_t k = 0; k < H; ++k)
            for (std::size_t l = 0; l < W; ++l) tile[k * W + l] = a(first + l < M ? first + l : M - 1, k);
          for (std::size_t k = 0; k < H; ++k) hbar[k] = io::load(tile.data() + k * W);
        }
        rows_reverse_sweep<Root, ParamSet, seeds, 1>(arrays);
      } else {
        // Every entry of the root's adjoint is written: its block may have
        // been reused during the previous pass.
        using root_block = planned_root_location<Root, ParamSet, seeds>;
        if constexpr (requires { clear_block(arrays, root_block{}); })
          clear_block(arrays, root_block{});
        else
          for (auto& t : adjoint_view(arrays, root_block{})) t = T(E(0));
        auto row_block = adjoint_view(arrays, root_block{});
        for (std::size_t i = first; i < M && i < first + W; ++i) row_block[i] = unit_direction<T>(i - first);
        rows_reverse_sweep<Root, ParamSet, seeds, 0>(arrays);
      }
      ++out.passes_run;
      for (std::size_t leaf = 0; leaf < entries::count; ++leaf) {
        const T* from = (entries::in_params[leaf] ? param_adjoints.data() : adjoints.data()) + where::offset[leaf];
        for (std::size_t e = 0; e < entries::sizes[leaf]; ++e) {
          alignas(64) std::array<E, W> lanes;
          io::store(from[e], lanes.data());
          const std::size_t j = entries::first[leaf] + e;
          for (std::size_t l = 0; l < W && first + l < M; ++l) out.matrix(first + l, j) = lanes[l];
        }
      }
    }
  }
}

// jacobian() with the number type of its passes given: T carries
// direction_lanes<T>::lanes directions per pass.
template <sweep_mode Mode, class T, class Root, class ParamSet, class... Names, class... B>
auto jacobian_in(const ParamSet& P, wrt_t<Names...>, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using wrt_leaves = wrt_of<Root, ParamSet, wrt_t<Names...>>;
  constexpr std::size_t M = Root::shape::size, N = wrt_leaves::size;
  constexpr bool fits = fits_on_stack<slot_layout<Root>::size*(sizeof(E) + sizeof(T)) +
                                      (wrt_leaves::layout::any_param ? ParamSet::size() * sizeof(T) : 0) +
                                      M * N * sizeof(E)>();
  jacobian_result<result_t<E, typename Root::shape>, E, M, N, Mode, direction_lanes<T>::lanes> out{};
  if constexpr (fits && !invalid<Root> && wrt_leaves::found && params_fit<Root, ParamSet>() &&
                bindings_fit<Root, B...>()) {
    if constexpr (Mode == sweep_mode::forward)
      jacobian_by_columns<Root, ParamSet, wrt_leaves, T>(P, out, bindings...);
    else
      jacobian_by_rows<Root, ParamSet, wrt_leaves, T>(P, out, bindings...);
  }
  return out;
}

}  // namespace detail

// The Jacobian of f with respect to the named inputs and parameters, at the
// point given by P and the bindings.
template <sweep_mode Mode = sweep_mode::automatic, expression Root, detail::param_buffer ParamSet, class... Names,
          detail::value_binding... B>
auto jacobian(Root, const ParamSet& P, wrt_t<Names...> w, const B&... bindings) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t M = Root::shape::size, N = detail::wrt_of<Root, ParamSet, wrt_t<Names...>>::size;
  constexpr sweep_mode mode = Mode == sweep_mode::automatic ? detail::cheaper_mode<M, N> : Mode;
  using T = detail::direction_number_within<
      E, mode == sweep_mode::forward ? N : M, mode == sweep_mode::reverse,
      slot_layout<Root>::size + (detail::wrt_of<Root, ParamSet, wrt_t<Names...>>::layout::any_param ? ParamSet::size() : 0),
      slot_layout<Root>::size * sizeof(E) + M * N * sizeof(E)>;
  return detail::jacobian_in<mode, T, Root>(P, w, bindings...);
}

// J D: the derivatives of f along the K columns of D (n × K, n the size of
// the wrt vector), in ⌈K / lanes⌉ forward passes that share the node values.
template <expression Root, detail::param_buffer ParamSet, class... Names, class D, std::size_t N, std::size_t K,
          detail::value_binding... B>
auto jvp(Root, const ParamSet& P, wrt_t<Names...>, const tensor<D, mat<N, K>>& directions, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using wrt_leaves = detail::wrt_of<Root, ParamSet, wrt_t<Names...>>;
  constexpr std::size_t n = wrt_leaves::size;
  if constexpr (wrt_leaves::found && N != n)
    static_assert(detail::directions_need_one_row_per_wrt_entry<N, n>::value,
                  "tapeless: jvp(f, P, wrt<...>, D, ...): D must be an n x K matrix, one row per entry of the wrt "
                  "variables (given rows, then n, are the template arguments above)");
  using T = detail::direction_number_within<E, K, false,
                                            slot_layout<Root>::size + (wrt_leaves::layout::any_param ? ParamSet::size() : 0),
                                            (slot_layout<Root>::size + Root::shape::size * K) * sizeof(E)>;
  constexpr bool fits = detail::fits_on_stack<slot_layout<Root>::size*(sizeof(E) + sizeof(T)) +
                                              (wrt_leaves::layout::any_param ? ParamSet::size() * sizeof(T) : 0) +
                                              Root::shape::size * K * sizeof(E)>();
  directional_derivatives<detail::result_t<E, typename Root::shape>, E, Root::shape::size, K,
                          detail::direction_lanes<T>::lanes>
      out{};
  if constexpr (fits && N == n && !invalid<Root> && wrt_leaves::found && detail::params_fit<Root, ParamSet>() &&
                detail::bindings_fit<Root, B...>()) {
    auto direction = [&](std::size_t j, std::size_t k) { return E(directions(j, k)); };
    out.value = detail::push_directions<Root, ParamSet, wrt_leaves, K, T>(P, direction, out.tangent, out.passes_run,
                                                                          bindings...);
  }
  return out;
}

template <expression Root, class... Names, class D, std::size_t N, std::size_t K, detail::value_binding... B>
auto jvp(Root root, wrt_t<Names...> w, const tensor<D, mat<N, K>>& directions, const B&... bindings) {
  return jvp(root, detail::no_params<Root>(), w, directions, bindings...);
}

template <sweep_mode Mode = sweep_mode::automatic, expression Root, class... Names, detail::value_binding... B>
auto jacobian(Root root, wrt_t<Names...> w, const B&... bindings) {
  return jacobian<Mode>(root, detail::no_params<Root>(), w, bindings...);
}

}  // namespace tapeless
