#pragma once
// Many samples through one expression, one sample per SIMD lane.
//
//   batch_engine<decltype(loss), params<decltype(loss), float>> engine;
//   float L = engine.value_and_grad_into(P, G, n, bind<"x">(aos(xs)), bind<"y">(ys));
//
//   auto [L, G] = value_and_grad_batch(loss, P, n, bind<"x">(soa(xs)), bind<"y">(ys));
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
// accumulator of the element type per parameter; its size is a constexpr (`batch_engine<...>::bytes`). A call
// does not allocate. `value_and_grad_batch` puts an engine on the stack and
// is meant for graphs whose engine is small (it refuses above 1 MiB); keep
// an engine object (e.g. one per thread, heap-allocated once) otherwise.

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include <tapeless/core/error.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/bind.hpp>
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

template <class Input, class Data>
void check_sample_count(const Data& data, std::size_t n) {
  using S = typename Input::shape;
  const std::size_t have = sample_span(data).size();
  if (have != n * S::size)
    throw shape_error("tapeless: batch input '" + std::string(Input::name::view()) + "' (" + shape_string<S>() +
                      ", " + std::to_string(S::size) + " values per sample) was given " + std::to_string(have) +
                      " values for " + std::to_string(n) + " samples (needs " + std::to_string(n * S::size) + ")");
}

}  // namespace detail

template <expression Root, class ParamSet, std::size_t Pack, class Arch>
class parallel_batch_engine;

// Workspace and parameter-adjoint accumulators for batch calls on Root
// with parameter buffer ParamSet, on SIMD architecture Arch. Each sweep
// carries Pack registers of samples per number (see simd/lane_pack.hpp):
// Pack · W samples go through the graph together. Pack = 8 measured best
// on the benchmark networks (bench/README.md): 2 and 4 reload weights and
// accumulators too often, 16 runs out of registers.
template <expression Root, class ParamSet, std::size_t Pack = 8, class Arch = xsimd::default_arch>
class batch_engine {
 public:
  using element_type = typename ParamSet::element_type;
  using lane_type = lane_pack<element_type, Pack, Arch>;
  // Each parameter-adjoint contribution is summed across lanes at once
  // (simd/lane_pack.hpp): measured faster than per-lane accumulators on
  // every benchmark network, and as small as the parameters.
  using accumulator_type = reducing_accumulator<element_type, Pack, Arch>;
  using register_type = typename lane_type::part_type;
  // Samples per sweep.
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
      sizeof(workspace<Root, lane_type>) + ParamSet::size() * sizeof(accumulator_type);

 private:
  template <expression, class, std::size_t, class>
  friend class parallel_batch_engine;
  using layout = slot_layout<Root>;

  template <bool Overwrite, class... A>
  element_type run(const ParamSet& P, ParamSet* G, std::size_t n, const A&... args) {
    constexpr bool mean = (std::is_same_v<A, mean_over_batch_t> || ...);
    auto bindings = filter_bindings(args...);
    return std::apply(
        [&](const auto&... b) { return run_bound<Overwrite>(P, G, n, mean, b...); }, bindings);
  }

  template <class... A>
  static auto filter_bindings(const A&... args) {
    return std::tuple_cat([](const auto& a) {
      if constexpr (detail::is_binding<std::remove_cvref_t<decltype(a)>>::value)
        return std::tuple<const std::remove_cvref_t<decltype(a)>&>(a);
      else
        return std::tuple<>();
    }(args)...);
  }

  template <bool Overwrite, class... B>
  element_type run_bound(const ParamSet& P, ParamSet* G, std::size_t n, bool mean, const B&... bindings) {
    if constexpr (!(detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>())) {
      return element_type(0);
    } else {
      check_samples(n, bindings...);
      const element_type scale = mean && n > 0 ? element_type(1) / element_type(n) : element_type(1);
      return sweep_range<Overwrite>(P, G, n, 0, n, scale, bindings...);
    }
  }

  template <class... B>
  static void check_samples(std::size_t n, const B&... bindings) {
    (detail::check_sample_count<typename graph<Root>::template input_named<typename B::name>>(bindings.data, n),
     ...);
  }

  // Samples [begin, end) of n, every loss seeded with `scale`: the loss sum
  // (times scale), and the gradient written (or added) to G when G is not
  // null. Sizes must have been checked.
  template <bool Overwrite, class... B>
  element_type sweep_range(const ParamSet& P, ParamSet* G, std::size_t n, std::size_t begin, std::size_t end,
                           element_type scale, const B&... bindings) {
    using E = element_type;
    using T = lane_type;
    const bool grad = G != nullptr;
    if (grad)
      for (auto& acc : param_acc_) acc.clear();

    detail::sweep_arrays<T, E, accumulator_type> arrays;
    arrays.values = ws_.values.data();
    arrays.adjoints = ws_.adjoints.data();
    arrays.params = P.data();
    arrays.param_adjoints = param_acc_.data();
    using seeds = detail::seed_leaves<true, false>;
    using root_at = detail::root_location<Root, ParamSet>;

    T loss_sum(E(0));
    for (std::size_t first = begin; first < end; first += lanes) {
      const std::size_t valid = end - first < lanes ? end - first : lanes;
      load_group(first, valid, n, bindings...);
      detail::forward_sweep<Root, ParamSet>(arrays);
      const T mask = valid == lanes ? T(E(1)) : lane_mask(valid);
      const T root_value = T(detail::value_view(arrays, root_at{})[0]);
      loss_sum += select(mask != T(E(0)), root_value, T(E(0)));
      if constexpr (detail::root_active<Root, seeds>) {
        if (grad) {
          ws_.adjoints.fill(T(E(0)));
          detail::adjoint_view(arrays, root_at{})[0] += mask * T(scale);
          detail::reverse_sweep<Root, ParamSet, seeds>(arrays);
        }
      }
    }
    if (grad) {
      E* out = G->data();
      for (std::size_t k = 0; k < ParamSet::size(); ++k) {
        const E total = param_acc_[k].total();
        out[k] = Overwrite ? total : out[k] + total;
      }
    }
    register_type total = loss_sum.part[0];
    for (std::size_t k = 1; k < Pack; ++k) total += loss_sum.part[k];
    return xsimd::hadd(total) * scale;
  }

  static lane_type lane_mask(std::size_t valid) {
    alignas(64) std::array<element_type, lanes> m{};
    for (std::size_t l = 0; l < lanes; ++l) m[l] = l < valid ? element_type(1) : element_type(0);
    return load(m.data());
  }

  static lane_type load(const element_type* p) {
    lane_type r;
    for (std::size_t k = 0; k < Pack; ++k) r.part[k] = register_type::load_unaligned(p + k * register_type::size);
    return r;
  }

  // Loads samples first .. first + valid - 1 of every input into the lanes;
  // unused lanes get sample `first`.
  template <class... B>
  void load_group(std::size_t first, std::size_t valid, std::size_t n, const B&... bindings) {
    auto all = std::forward_as_tuple(bindings...);
    detail::for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
      const auto& data = std::get<detail::binding_index<detail::is_binding, I, B...>()>(all).data;
      using D = std::remove_cvref_t<decltype(data)>;
      const auto samples = detail::sample_span(data);
      constexpr std::size_t size = I::shape::size;
      lane_type* slot = ws_.values.data() + layout::template offset<I>;
      alignas(64) std::array<element_type, lanes> buffer;
      for (std::size_t e = 0; e < size; ++e) {
        using U = std::remove_cv_t<typename decltype(samples)::element_type>;
        if constexpr (detail::sample_layout<D>::feature_major) {
          const U* row = samples.data() + e * n + first;
          if constexpr (std::is_same_v<U, element_type>) {
            if (valid == lanes) {
              slot[e] = load(row);
              continue;
            }
          }
          for (std::size_t l = 0; l < lanes; ++l) buffer[l] = element_type(row[l < valid ? l : 0]);
        } else {
          const U* base = samples.data() + first * size + e;
          for (std::size_t l = 0; l < lanes; ++l) buffer[l] = element_type(base[(l < valid ? l : 0) * size]);
        }
        slot[e] = load(buffer.data());
      }
    });
  }

  alignas(64) workspace<Root, lane_type> ws_;
  alignas(64) std::array<accumulator_type, ParamSet::size()> param_acc_;
};

// One-call forms with an engine on the stack, for small graphs.
template <expression Root, detail::param_buffer ParamSet, class... A>
auto value_and_grad_batch(Root, const ParamSet& P, std::size_t n, const A&... args) {
  using engine_t = batch_engine<Root, ParamSet>;
  static_assert(engine_t::bytes <= (std::size_t{1} << 20),
                "tapeless: value_and_grad_batch keeps its workspace on the stack and this graph needs more than "
                "1 MiB; keep a batch_engine<decltype(loss), decltype(P)> object and call its value_and_grad_into");
  engine_t engine;
  ParamSet G;
  const auto L = engine.value_and_grad_into(P, G, n, args...);
  return value_and_grad_result<typename ParamSet::element_type, ParamSet>{L, G};
}

template <expression Root, detail::param_buffer ParamSet, class... A>
auto value_batch(Root, const ParamSet& P, std::size_t n, const A&... args) {
  using engine_t = batch_engine<Root, ParamSet>;
  static_assert(engine_t::bytes <= (std::size_t{1} << 20),
                "tapeless: value_batch keeps its workspace on the stack and this graph needs more than 1 MiB; keep "
                "a batch_engine<decltype(loss), decltype(P)> object and call its value");
  engine_t engine;
  return engine.value(P, n, args...);
}

}  // namespace tapeless
