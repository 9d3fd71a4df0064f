#pragma once
// Forward-only evaluation of many samples: batch inference.
//
//   using predictor_t = batch_predictor<decltype(logits), decltype(P)>;
//   auto predictor = std::make_unique<predictor_t>();                 // holds the workspace, on the heap
//   predictor->value_into(P, n, out, bind<"x">(soa(xs)));             // out: n × k, sample-major
//   predictor->value_into(P, n, soa_out(out), bind<"x">(aos(xs)));    // out: k × n, feature-major
//
//   value_batch_into(logits, P, n, out, bind<"x">(aos(xs)));          // one call, small graphs
//
// The expression may be of any shape (k numbers per sample: a scalar, the
// logits, an image). The graph runs on the batch engine's schedule (every
// number a lane_pack of Pack registers, each op over the whole chunk of
// samples before the next, products register-blocked) without adjoints,
// so the workspace is half the training engine's.
//
// Every input size and the output size are checked against n (without
// overflow) before anything is computed or written; a mismatch throws
// shape_error naming the binding or the output, and `out` is untouched.
// A call does not allocate.
//
// Memory: a predictor holds its workspace inline (`bytes`, a few MiB for a
// small CNN): keep it on the heap, allocated once (std::make_unique; C++17
// aligned new honours its alignment), not as a local. value_batch_into puts
// one on the stack and does not compile above TAPELESS_STACK_LIMIT (256 KiB
// by default, eval/stack_limit.hpp); the message names the bytes. One
// predictor serves one call at a time.

#include <array>
#include <cstddef>
#include <ranges>
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
#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/stack_limit.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/simd/lane_pack.hpp>

namespace tapeless {

// Output layouts: sample s's number e at out[s * k + e] (sample-major, also
// what a plain range means) or at out[e * n + s] (feature-major).
template <class E>
struct aos_output {
  std::span<E> data;
};
template <class E>
struct soa_output {
  std::span<E> data;
};

template <std::ranges::contiguous_range R>
auto aos_out(R& r) {
  return aos_output<std::ranges::range_value_t<R>>{std::span(std::ranges::data(r), std::ranges::size(r))};
}
template <std::ranges::contiguous_range R>
auto soa_out(R& r) {
  return soa_output<std::ranges::range_value_t<R>>{std::span(std::ranges::data(r), std::ranges::size(r))};
}

namespace detail {

template <class O>
struct output_layout {
  static constexpr bool feature_major = false;
  static auto span(O& out) { return std::span(std::ranges::data(out), std::ranges::size(out)); }
};
template <class E>
struct output_layout<aos_output<E>> {
  static constexpr bool feature_major = false;
  static std::span<E> span(const aos_output<E>& out) { return out.data; }
};
template <class E>
struct output_layout<soa_output<E>> {
  static constexpr bool feature_major = true;
  static std::span<E> span(const soa_output<E>& out) { return out.data; }
};

}  // namespace detail

template <expression Root, class ParamSet, std::size_t Pack = detail::default_pack<Root, ParamSet>(),
          class Arch = xsimd::default_arch>
class batch_predictor {
 public:
  using element_type = typename ParamSet::element_type;
  using lane_type = lane_pack<element_type, Pack, Arch>;
  static constexpr std::size_t pack = Pack;
  static constexpr std::size_t lanes = lane_type::lanes;
  // Numbers per sample in the output.
  static constexpr std::size_t outputs = Root::shape::size;
  static constexpr std::size_t bytes = slot_layout<Root>::size * sizeof(lane_type);

  static_assert(op_node_type<typename detail::type_at<Root::size - 1, typename Root::nodes>> ||
                    input_leaf<typename detail::type_at<Root::size - 1, typename Root::nodes>>,
                "tapeless: batch_predictor needs an expression computed from its inputs (an op or an input), "
                "not a parameter or a constant alone");

  // Writes the expression's value for samples 0 .. n-1 to `out` (n ×
  // outputs numbers; a plain range or aos_out(r) is sample-major,
  // soa_out(r) feature-major).
  template <class Out, class... Bindings>
  void value_into(const ParamSet& P, std::size_t n, Out&& out, const Bindings&... bindings) {
    if constexpr (detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, Bindings...>()) {
      using layout = detail::output_layout<std::remove_cvref_t<Out>>;
      const auto target = layout::span(out);
      static_assert(std::is_same_v<std::remove_cv_t<typename decltype(target)::element_type>, element_type> &&
                        !std::is_const_v<typename decltype(target)::element_type>,
                    "tapeless: batch inference writes to a mutable range of the parameter buffer's element type");
      detail::check_batch_inputs<Root>(n, bindings...);
      if (!detail::holds_samples(target.size(), n, outputs))
        throw shape_error("tapeless: batch inference output (" + std::to_string(outputs) +
                          " values per sample) has " + std::to_string(target.size()) + " values for " +
                          std::to_string(n) + " samples (needs " + detail::needed_count(n, outputs) + ")");
      run<layout::feature_major>(P, n, target.data(), bindings...);
    }
  }

 private:
  using root_at = detail::root_location<Root, ParamSet>;

  template <bool FeatureMajor, class... B>
  void run(const ParamSet& P, std::size_t n, element_type* out, const B&... bindings) {
    using T = lane_type;
    using E = element_type;
    detail::sweep_arrays<T, E> arrays;
    arrays.values = values_.data();
    arrays.params = P.data();
    alignas(64) std::array<E, lanes> lane_values;
    for (std::size_t first = 0; first < n; first += lanes) {
      const std::size_t valid = n - first < lanes ? n - first : lanes;
      detail::load_samples<Root>(values_.data(), first, valid, n, bindings...);
      detail::forward_sweep<Root, ParamSet>(arrays);
      const auto root = detail::value_view(arrays, root_at{});
      for (std::size_t e = 0; e < outputs; ++e) {
        if constexpr (FeatureMajor) {
          E* row = out + e * n + first;
          if (valid == lanes) {
            for (std::size_t k = 0; k < Pack; ++k) root[e].part[k].store_unaligned(row + k * T::part_type::size);
            continue;
          }
        }
        for (std::size_t k = 0; k < Pack; ++k) root[e].part[k].store_aligned(lane_values.data() + k * T::part_type::size);
        for (std::size_t l = 0; l < valid; ++l) {
          if constexpr (FeatureMajor)
            out[e * n + first + l] = lane_values[l];
          else
            out[(first + l) * outputs + e] = lane_values[l];
        }
      }
    }
  }

  alignas(64) std::array<lane_type, slot_layout<Root>::size> values_;
};

namespace detail {
template <class Root, class ParamSet>
struct batch_predictor_of {
  template <std::size_t Pack>
  using type = batch_predictor<Root, ParamSet, Pack>;
};
}  // namespace detail

// One call with the workspace on the stack, for small graphs: the default
// pack, or the largest narrower one whose predictor fits within
// TAPELESS_STACK_LIMIT; refused when one register per number does not fit
// (keep a batch_predictor on the heap then).
template <expression Root, detail::param_buffer ParamSet, class Out, class... Bindings>
void value_batch_into(Root, const ParamSet& P, std::size_t n, Out&& out, const Bindings&... bindings) {
  using predictor_t = batch_predictor<Root, ParamSet,
                                      detail::stack_pack<detail::batch_predictor_of<Root, ParamSet>::template type,
                                                         detail::default_pack<Root, ParamSet>(), 0>()>;
  constexpr std::size_t stack = sizeof(predictor_t);
  if constexpr (stack > max_stack_bytes) {
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_batch_into would keep a batch_predictor on the stack, and it takes more bytes "
                  "(first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "batch_predictor<decltype(f), decltype(P)> on the heap (std::make_unique, once) and call its "
                  "value_into(P, n, out, ...)");
  } else {
    predictor_t predictor;
    predictor.value_into(P, n, std::forward<Out>(out), bindings...);
  }
}

}  // namespace tapeless
