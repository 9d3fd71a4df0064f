#pragma once
// Many samples through one expression, one sample per SIMD lane.
//
//   using engine_t = batch_engine<decltype(loss), params<decltype(loss), float>>;
//   auto engine = std::make_unique<engine_t>();          // on the heap, allocated once
//   float L = engine->value_and_grad_into(P, G, n, bind<"x">(aos(xs)), bind<"y">(ys));
//
//   auto [L, G] = value_and_grad_batch(loss, P, n, bind<"x">(soa(xs)), bind<"y">(ys));   // small graphs
//
// The graph is evaluated with every scalar a lane_pack: Pack xsimd
// registers holding one sample per lane (simd/lane_pack.hpp). Parameters
// are broadcast, inputs are loaded per lane, and each parameter-adjoint
// contribution is summed across its lanes into one number per parameter.
// The op rules are the same ones the scalar path runs.
//
// Reduction: the loss and the gradients are SUMMED over the samples; pass
// `mean_over_batch` to get the mean (each lane's seed is 1/n).
//
// Non-finite values: pass `check_finite` (eval/finite.hpp) and every
// node's values are tested after each sweep (the samples in use only),
// and the gradient sums after each chunk; the first NaN or infinity throws
// numeric_error naming the node (or parameter) and the sample ("... at node
// 0 of 9 (input 'x', element 3), sample 17"). G may then hold a partial
// sum. Without it, nothing is tested.
//
// Sample data: `aos(r)` (sample-major: sample s's element e at
// r[s * size + e]) or `soa(r)` (feature-major: at r[e * n + s]); a plain
// contiguous range is taken as sample-major. Every size is checked against
// n before anything is computed or written; a mismatch throws shape_error
// naming the input.
//
// Tail: when n is not a multiple of the lane count, the last group's
// unused lanes repeat the group's first sample (so they stay finite) with a
// zero seed and are left out of the loss, so they add exactly nothing.
//
// Memory: the engine holds the workspace (in lane packs) and one
// accumulator of the element type per parameter, inline; its size is a
// constexpr (`batch_engine<...>::bytes`, about sizeof(batch_engine<...>)),
// and it is large: a few MiB for a small CNN, hundreds of MiB for
// convolutions on large images. Keep it on the heap, allocated once:
// `std::make_unique<engine_t>()` (C++17 aligned new honours its 64-byte
// alignment; it zeroes the engine once, `std::make_unique_for_overwrite`
// does not), or as a member of an object that is itself on the heap. A
// local `engine_t engine;` puts all of it on the stack and overflows it for
// any but tiny graphs. A call does not allocate. `value_and_grad_batch` and
// `value_batch` put an engine on the stack and are meant for graphs whose
// engine is small: they narrow the pack until it fits within
// TAPELESS_STACK_LIMIT (256 KiB by default, eval/stack_limit.hpp), and
// when one register per number does not fit they do not compile, and the
// message names the bytes. One engine serves one call at a time: give each thread its own
// (parallel_batch_engine does).

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include <tapeless/simd/xsimd_compat.hpp>

#include <tapeless/core/attributes.hpp>
#include <tapeless/core/error.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/finite.hpp>
#include <tapeless/eval/stack_limit.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/simd/lane_pack.hpp>

namespace tapeless {

// Sample layouts for batch bindings.
template <class E>
struct aos_samples {
  std::span<const E> data;
};
template <class E>
struct soa_samples {
  std::span<const E> data;
};

template <std::ranges::contiguous_range R>
auto aos(const R& r) {
  return aos_samples<std::remove_cv_t<std::ranges::range_value_t<R>>>{std::span(std::ranges::data(r), std::ranges::size(r))};
}
template <std::ranges::contiguous_range R>
auto soa(const R& r) {
  return soa_samples<std::remove_cv_t<std::ranges::range_value_t<R>>>{std::span(std::ranges::data(r), std::ranges::size(r))};
}

// Asks a batch call for the mean over samples instead of the sum.
struct mean_over_batch_t {};
inline constexpr mean_over_batch_t mean_over_batch{};

namespace detail {

template <class D>
struct sample_layout {
  static constexpr bool feature_major = false;
};
template <class E>
struct sample_layout<soa_samples<E>> {
  static constexpr bool feature_major = true;
};

// The numbers of a batch binding, in either layout.
template <class E>
std::span<const E> sample_span(const aos_samples<E>& d) {
  return d.data;
}
template <class E>
std::span<const E> sample_span(const soa_samples<E>& d) {
  return d.data;
}
template <std::ranges::contiguous_range R>
auto sample_span(const R& r) {
  return std::span(std::ranges::data(r), std::ranges::size(r));
}

// Whether `have` numbers are exactly n samples of `per_sample` numbers each,
// without computing n · per_sample (which could wrap around).
inline bool holds_samples(std::size_t have, std::size_t n, std::size_t per_sample) {
  if (per_sample == 0) return have == 0;
  return have % per_sample == 0 && have / per_sample == n;
}

inline std::string needed_count(std::size_t n, std::size_t per_sample) {
  if (per_sample != 0 && n > std::numeric_limits<std::size_t>::max() / per_sample)
    return "more than " + std::to_string(std::numeric_limits<std::size_t>::max());
  return std::to_string(n * per_sample);
}

template <class Input, class Data>
void check_sample_count(const Data& data, std::size_t n) {
  using S = typename Input::shape;
  const std::size_t have = sample_span(data).size();
  if (!holds_samples(have, n, S::size))
    throw shape_error("tapeless: batch input '" + std::string(Input::name::view()) + "' (" + shape_string<S>() +
                      ", " + std::to_string(S::size) + " values per sample) was given " + std::to_string(have) +
                      " values for " + std::to_string(n) + " samples (needs " + needed_count(n, S::size) + ")");
  if constexpr (is_class_index<S>::value) {
    const auto samples = sample_span(data);
    for (std::size_t i = 0; i < n; ++i) check_label<Input>(double(samples[i]), i);
  }
}

// The bindings among a call's arguments (options such as mean_over_batch
// and check_finite left out), as a tuple of references.
template <class... A>
auto bindings_among(const A&... args) {
  return std::tuple_cat([](const auto& a) {
    if constexpr (is_binding<std::remove_cvref_t<decltype(a)>>::value)
      return std::tuple<const std::remove_cvref_t<decltype(a)>&>(a);
    else
      return std::tuple<>();
  }(args)...);
}

template <class... A>
struct check_finite_not_supported {
  static constexpr bool value = false;
};

// bindings_among for callers that do not honour check_finite (the
// parallel_batch_engine): passing it there does not compile, rather than
// being silently ignored.
template <class... A>
auto filter_bindings(const A&... args) {
  if constexpr (wants_check_finite<A...>)
    static_assert(check_finite_not_supported<A...>::value,
                  "tapeless: this call does not take check_finite; check the loss and G after it (std::isfinite) "
                  "and run the samples again through a batch_engine with check_finite to find the node");
  return bindings_among(args...);
}

template <class Root, class... B>
void check_batch_inputs(std::size_t n, const B&... bindings) {
  (check_sample_count<typename graph<Root>::template input_named<typename B::name>>(bindings.data, n), ...);
}

// A lane pack from `lanes` contiguous numbers.
template <class T>
T load_lanes(const typename T::value_type* p) {
  using R = typename T::part_type;
  T r;
  for (std::size_t k = 0; k < T::parts; ++k) r.part[k] = R::load_unaligned(p + k * R::size);
  return r;
}

// 1 on lanes below `valid`, 0 above.
template <class T>
T lanes_below(std::size_t valid) {
  using E = typename T::value_type;
  alignas(64) std::array<E, T::lanes> m{};
  for (std::size_t l = 0; l < T::lanes; ++l) m[l] = l < valid ? E(1) : E(0);
  return load_lanes<T>(m.data());
}

// Loads samples first .. first + valid - 1 of every input of Root into
// the lanes of its slot in `values`; unused lanes get sample `first`, so
// they stay finite.
template <class Root, class T, class... B>
void load_samples(T* values, std::size_t first, std::size_t valid, std::size_t n, const B&... bindings) {
  using E = typename T::value_type;
  auto all = std::forward_as_tuple(bindings...);
  for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
    const auto& data = std::get<binding_index<is_binding, I, B...>()>(all).data;
    using D = std::remove_cvref_t<decltype(data)>;
    const auto samples = sample_span(data);
    constexpr std::size_t size = I::shape::size;
    T* slot = values + slot_layout<Root>::template offset<I>;
    alignas(64) std::array<E, T::lanes> buffer;
    for (std::size_t e = 0; e < size; ++e) {
      using U = std::remove_cv_t<typename decltype(samples)::element_type>;
      if constexpr (sample_layout<D>::feature_major) {
        const U* row = samples.data() + e * n + first;
        if constexpr (std::is_same_v<U, E>) {
          if (valid == T::lanes) {
            slot[e] = load_lanes<T>(row);
            continue;
          }
        }
        for (std::size_t l = 0; l < T::lanes; ++l) buffer[l] = E(row[l < valid ? l : 0]);
      } else {
        const U* base = samples.data() + first * size + e;
        for (std::size_t l = 0; l < T::lanes; ++l) buffer[l] = E(base[(l < valid ? l : 0) * size]);
      }
      slot[e] = load_lanes<T>(buffer.data());
    }
  });
}

// Registers per number when a batch engine is not told (each sweep then
// carries Pack · lanes-per-register samples), chosen from the graph:
//  - 16 registers (256 floats with AVX-512) when the graph's weights are
//    large next to its workspace (at least 32 parameters per workspace
//    number): each op's work on a chunk then dwarfs moving the chunk's
//    activations, and each weight gradient is summed in registers over
//    more samples;
//  - else the largest of 8, 4, 2, 1 whose chunk workspace (values and
//    planned adjoints) stays within 1.5 MiB, so that it mostly stays in
//    the core's cache.
// Measured on the benchmark networks (bench/README.md): L (52 parameters
// per workspace number) is fastest with 16; M and R with 8 or 4; the
// digits CNN's convolution (2.6 MiB of workspace with 8) with 4.
template <class Root, class ParamSet>
constexpr std::size_t default_pack() {
  using E = typename ParamSet::element_type;
  if (ParamSet::size() >= 32 * slot_layout<Root>::size) return 16;
  constexpr std::size_t numbers = slot_layout<Root>::size + adjoint_plan<Root, seed_leaves<true, false>>::data.size;
  constexpr std::size_t register_bytes = sizeof(xsimd::batch<E>);
  std::size_t pack = 8;
  while (pack > 1 && numbers * pack * register_bytes > (std::size_t{3} << 19)) pack /= 2;
  return pack;
}

}  // namespace detail

template <expression Root, class ParamSet, std::size_t Pack, class Arch>
class parallel_batch_engine;

// Workspace and parameter-adjoint accumulators for batch calls on Root
// with parameter buffer ParamSet, on SIMD architecture Arch. Each sweep
// carries Pack registers of samples per number (see simd/lane_pack.hpp):
// Pack · W samples go through the graph together, and each op runs over
// all of them before the next op starts (the products register-blocked,
// ops/blocked_products.hpp). Pack defaults to detail::default_pack, chosen
// from the graph; `batch_engine<..>::pack` tells it.
template <expression Root, class ParamSet, std::size_t Pack = detail::default_pack<Root, ParamSet>(),
          class Arch = xsimd::default_arch>
class batch_engine {
 public:
  using element_type = typename ParamSet::element_type;
  using lane_type = lane_pack<element_type, Pack, Arch>;
  // Each parameter-adjoint contribution is summed across lanes at once
  // (simd/lane_pack.hpp): measured faster than per-lane accumulators on
  // every benchmark network, and as small as the parameters.
  using accumulator_type = reducing_accumulator<element_type, Pack, Arch>;
  using register_type = typename lane_type::part_type;
  // The sweeps differentiate with respect to the parameters; adjoints live
  // in the compact planned layout (eval/adjoint_plan.hpp), adjoint_count
  // numbers instead of one per workspace number.
  using seeds = detail::seed_leaves<true, false>;
  static constexpr std::size_t adjoint_count = detail::adjoint_plan<Root, seeds>::data.size;

  // Graphs this small run one register of samples at a time through the
  // whole graph with everything in registers (the workspace, adjoints and
  // per-lane parameter-adjoint accumulators are locals the compiler keeps
  // in registers): per-chunk bookkeeping would cost more than their few
  // multiply-adds. Larger graphs run op by op over chunks of Pack
  // registers. 32 numbers: S (2-2-1) needs 28.
  static constexpr bool in_registers = slot_layout<Root>::size + adjoint_count + ParamSet::size() <= 32;

  // Registers per number, and samples per sweep.
  static constexpr std::size_t pack = Pack;
  static constexpr std::size_t lanes = lane_type::lanes;

  static_assert(Root::shape::rank == 0,
                "tapeless: batch_engine needs a scalar expression (a loss per sample); its shape is in the "
                "template arguments above");

  // Loss (summed or averaged over the n samples); G is overwritten with the
  // gradient once the inputs have passed their checks.
  template <class... Options_and_bindings>
  element_type value_and_grad_into(const ParamSet& P, ParamSet& G, std::size_t n,
                                   const Options_and_bindings&... args) {
    return run<true>(P, &G, n, args...);
  }

  // Adds the gradient to G.
  template <class... Options_and_bindings>
  element_type value_and_grad_accumulate(const ParamSet& P, ParamSet& G, std::size_t n,
                                         const Options_and_bindings&... args) {
    return run<false>(P, &G, n, args...);
  }

  // The loss only (summed or averaged), no adjoints.
  template <class... Options_and_bindings>
  element_type value(const ParamSet& P, std::size_t n, const Options_and_bindings&... args) {
    return run<true>(P, static_cast<ParamSet*>(nullptr), n, args...);
  }

  static constexpr std::size_t bytes =
      (slot_layout<Root>::size + adjoint_count) * sizeof(lane_type) + ParamSet::size() * sizeof(accumulator_type);

 private:
  template <expression, class, std::size_t, class>
  friend class parallel_batch_engine;
  using layout = slot_layout<Root>;

  template <bool Overwrite, class... A>
  element_type run(const ParamSet& P, ParamSet* G, std::size_t n, const A&... args) {
    constexpr bool mean = (std::is_same_v<A, mean_over_batch_t> || ...);
    constexpr bool check = detail::wants_check_finite<A...>;
    auto bindings = detail::bindings_among(args...);
    return std::apply(
        [&](const auto&... b) { return run_bound<Overwrite, check>(P, G, n, mean, b...); }, bindings);
  }

  template <bool Overwrite, bool Check, class... B>
  element_type run_bound(const ParamSet& P, ParamSet* G, std::size_t n, bool mean, const B&... bindings) {
    if constexpr (!(detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>())) {
      return element_type(0);
    } else {
      detail::check_batch_inputs<Root>(n, bindings...);
      const element_type scale = mean && n > 0 ? element_type(1) / element_type(n) : element_type(1);
      return sweep_range<Overwrite, Check>(P, G, n, 0, n, scale, bindings...);
    }
  }

  // Samples [begin, end) of n, every loss seeded with `scale`: the loss sum
  // (times scale), and the gradient written (or added) to G when G is not
  // null. Sizes must have been checked. Check: test for non-finite values.
  template <bool Overwrite, bool Check = false, class... B>
  element_type sweep_range(const ParamSet& P, ParamSet* G, std::size_t n, std::size_t begin, std::size_t end,
                           element_type scale, const B&... bindings) {
    if constexpr (in_registers) return sweep_in_registers<Overwrite, Check>(P, G, n, begin, end, scale, bindings...);
    using E = element_type;
    using T = lane_type;
    const bool grad = G != nullptr;
    if (grad)
      for (auto& acc : param_acc_) acc.clear();

    detail::sweep_arrays<T, E, accumulator_type> arrays;
    arrays.values = values_.data();
    arrays.adjoints = adjoints_.data();
    arrays.params = P.data();
    arrays.param_adjoints = param_acc_.data();
    using root_at = detail::root_location<Root, ParamSet>;

    T loss_sum(E(0));
    for (std::size_t first = begin; first < end; first += lanes) {
      const std::size_t valid = end - first < lanes ? end - first : lanes;
      detail::load_samples<Root>(values_.data(), first, valid, n, bindings...);
      detail::forward_sweep<Root, ParamSet>(arrays);
      if constexpr (Check) detail::check_forward_values<Root, ParamSet>(arrays, valid, first);
      const T mask = valid == lanes ? T(E(1)) : detail::lanes_below<T>(valid);
      const T root_value = T(detail::value_view(arrays, root_at{})[0]);
      loss_sum += select(mask != T(E(0)), root_value, T(E(0)));
      if constexpr (detail::root_active<Root, seeds>) {
        if (grad) {
          detail::adjoint_view(arrays, detail::planned_root_location<Root, ParamSet, seeds>{})[0] = mask * T(scale);
          detail::planned_reverse_sweep<Root, ParamSet, seeds>(arrays);
          if constexpr (Check)
            detail::check_param_gradient<ParamSet>([&](std::size_t k) -> const accumulator_type& { return param_acc_[k]; },
                                                   first, first + valid - 1);
        }
      }
    }
    if (grad) store_gradient<Overwrite>(*G, [&](std::size_t k) { return param_acc_[k].total(); });
    register_type total = loss_sum.part[0];
    for (std::size_t k = 1; k < Pack; ++k) total += loss_sum.part[k];
    return detail::reduce_add(total) * scale;
  }

  // Writes (or adds) total(k) to every entry k of G.
  template <bool Overwrite, class Total>
  static void store_gradient(ParamSet& G, Total total) {
    element_type* out = G.data();
    for (std::size_t k = 0; k < ParamSet::size(); ++k) out[k] = Overwrite ? total(k) : out[k] + total(k);
  }

  // sweep_range for tiny graphs: one register of samples at a time,
  // workspace and accumulators in locals, parameter adjoints summed per lane
  // and across lanes once at the end. Flattened: the whole graph must be
  // one loop body for the locals to stay in registers (two registers per
  // step were measured slower: they spill).
  template <bool Overwrite, bool Check, class... B>
  TAPELESS_FLATTEN element_type sweep_in_registers(const ParamSet& P, ParamSet* G, std::size_t n, std::size_t begin,
                                  std::size_t end, element_type scale, const B&... bindings) {
    using E = element_type;
    using T = lane_pack<E, 1, Arch>;
    constexpr std::size_t width = T::lanes;
    const bool grad = G != nullptr;
    std::array<T, layout::size> values;
    std::array<T, (adjoint_count > 0 ? adjoint_count : 1)> adjoints;
    std::array<T, ParamSet::size()> param_sums;
    param_sums.fill(T(E(0)));
    detail::sweep_arrays<T, E, T> arrays;
    arrays.values = values.data();
    arrays.adjoints = adjoints.data();
    arrays.params = P.data();
    arrays.param_adjoints = param_sums.data();
    using root_at = detail::root_location<Root, ParamSet>;

    T loss_sum(E(0));
    // Whole registers of samples, then the tail with its lane mask. Grad is
    // a template argument, not a test in the loop: with the test inside,
    // the compiler kept the parameter sums in memory (a store and a reload
    // per sum and step, on the critical path of every sum).
    auto step = [&]<bool Tail, bool Grad>(std::size_t first, std::size_t valid) {
      detail::load_samples<Root>(values.data(), first, valid, n, bindings...);
      detail::forward_sweep<Root, ParamSet>(arrays);
      if constexpr (Check) detail::check_forward_values<Root, ParamSet>(arrays, valid, first);
      const T root_value = T(detail::value_view(arrays, root_at{})[0]);
      const T mask = Tail ? detail::lanes_below<T>(valid) : T(E(1));
      if constexpr (Tail)
        loss_sum += select(mask != T(E(0)), root_value, T(E(0)));
      else
        loss_sum += root_value;
      if constexpr (detail::root_active<Root, seeds> && Grad) {
        detail::adjoint_view(arrays, detail::planned_root_location<Root, ParamSet, seeds>{})[0] = mask * T(scale);
        detail::planned_reverse_sweep<Root, ParamSet, seeds>(arrays);
        if constexpr (Check)
          detail::check_param_gradient<ParamSet>([&](std::size_t k) -> const T& { return param_sums[k]; }, first,
                                                 first + valid - 1);
      }
    };
    auto all = [&]<bool Grad>() {
      std::size_t first = begin;
      for (; end - first >= width; first += width) step.template operator()<false, Grad>(first, width);
      if (first < end) step.template operator()<true, Grad>(first, end - first);
    };
    if (grad)
      all.template operator()<true>();
    else
      all.template operator()<false>();
    if (grad) store_gradient<Overwrite>(*G, [&](std::size_t k) { return E(detail::reduce_add(param_sums[k].part[0])); });
    return detail::reduce_add(loss_sum.part[0]) * scale;
  }

  alignas(64) std::array<lane_type, layout::size> values_;
  alignas(64) std::array<lane_type, adjoint_count> adjoints_;
  alignas(64) std::array<accumulator_type, ParamSet::size()> param_acc_;
};

// One-call forms with an engine on the stack, for small graphs: the
// engine's pack is the default one or, when that engine would pass
// TAPELESS_STACK_LIMIT, the largest narrower one that fits
// (detail::stack_pack); with one register per number still too large, the
// call does not compile.
namespace detail {

// The pack of a one-call form's engine on the stack: the default pack, or
// the largest power-of-two fraction of it whose engine (of type Engine<p>)
// and Extra more bytes fit within TAPELESS_STACK_LIMIT; 1 when none does
// (the call then refuses). A narrower pack adds the samples in another
// order, so the result may differ in the last bits from an engine with the
// default pack.
template <template <std::size_t> class Engine, std::size_t Pack, std::size_t Extra>
constexpr std::size_t stack_pack() {
  if constexpr (Pack <= 1 || sizeof(Engine<Pack>) + Extra <= max_stack_bytes)
    return Pack;
  else
    return stack_pack<Engine, Pack / 2, Extra>();
}

template <class Root, class ParamSet>
struct batch_engine_of {
  template <std::size_t Pack>
  using type = batch_engine<Root, ParamSet, Pack>;
};

}  // namespace detail

template <expression Root, detail::param_buffer ParamSet, class... A>
auto value_and_grad_batch(Root, const ParamSet& P, std::size_t n, const A&... args) {
  using result_type = value_and_grad_result<typename ParamSet::element_type, ParamSet>;
  constexpr std::size_t extra = sizeof(ParamSet) + sizeof(result_type);
  using engine_t =
      batch_engine<Root, ParamSet,
                   detail::stack_pack<detail::batch_engine_of<Root, ParamSet>::template type,
                                      detail::default_pack<Root, ParamSet>(), extra>()>;
  // The engine, the gradient and the returned copy.
  constexpr std::size_t stack = sizeof(engine_t) + extra;
  if constexpr (stack > max_stack_bytes) {
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_and_grad_batch would keep a batch_engine and the gradient on the stack, and they "
                  "take more bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "batch_engine<decltype(loss), decltype(P)> on the heap (std::make_unique, once) and call its "
                  "value_and_grad_into(P, G, n, ...)");
    return result_type{};
  } else {
    engine_t engine;
    ParamSet G;
    const auto L = engine.value_and_grad_into(P, G, n, args...);
    return result_type{L, G};
  }
}

template <expression Root, detail::param_buffer ParamSet, class... A>
auto value_batch(Root, const ParamSet& P, std::size_t n, const A&... args) {
  using engine_t = batch_engine<Root, ParamSet,
                                detail::stack_pack<detail::batch_engine_of<Root, ParamSet>::template type,
                                                   detail::default_pack<Root, ParamSet>(), 0>()>;
  constexpr std::size_t stack = sizeof(engine_t);
  if constexpr (stack > max_stack_bytes) {
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_batch would keep a batch_engine on the stack, and it takes more bytes (first "
                  "template argument above) than TAPELESS_STACK_LIMIT (second); keep a batch_engine<decltype(loss), "
                  "decltype(P)> on the heap (std::make_unique, once) and call its value(P, n, ...), or a "
                  "batch_predictor (eval/predict.hpp)");
    return typename ParamSet::element_type(0);
  } else {
    engine_t engine;
    return engine.value(P, n, args...);
  }
}

}  // namespace tapeless
