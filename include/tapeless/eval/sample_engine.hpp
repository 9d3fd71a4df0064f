#pragma once
// The one-sample entry points with the workspace on the heap, for graphs
// whose workspace would not fit on the stack (eval/stack_limit.hpp).
//
//   using engine_t = sample_engine<decltype(loss), decltype(P)>;
//   engine_t engine;                                   // allocates the workspace, once
//   auto G = std::make_unique<decltype(P)>();          // a large gradient: on the heap too
//   auto L = engine.value_and_grad_into(P, *G, bind<"x">(x), bind<"y">(y));
//
// The methods mirror the free functions of eval/api.hpp and run the same
// sweeps (the same numbers, bit for bit):
//
//   engine.value(P, bindings...)                         f's value, returned
//   engine.value_into(P, out, bindings...)               f's value written to out
//   engine.value_and_grad_into(P, G, bindings...)        G overwritten with ∇f
//   engine.value_and_grad_into(P, G, input_grad, ...)    and the input gradient
//   engine.value_and_grad_accumulate(P, G, bindings...)  ∇f added to G
//   engine.vjp_into(P, cotangent, G, input_grad, ...)    the VJP, G and input_grad overwritten
//   engine.jvp(P, dP, bindings...), engine.jvp(P, ...)   the value and the JVP, returned
//
// value, value_into, value_and_grad_into and value_and_grad_accumulate
// also take `check_finite` among the bindings: the first NaN or infinity
// in a node's value or in the gradient throws numeric_error naming the
// node (eval/finite.hpp).
//
// The engine itself is small (one pointer): it can live on the stack, in
// a member, or behind std::make_unique. Its constructor allocates the
// workspace (`bytes`: values and adjoints or tangents, one number per
// workspace slot each); a call allocates nothing. What a method returns
// by value (f's value, a JVP) lives on the caller's stack, so such a
// method refuses at compile time when that result alone passes
// TAPELESS_STACK_LIMIT; use value_into for large values. Buffers you pass
// (P, G, input_grad, out) live wherever you put them; for large networks
// put them on the heap (std::make_unique<decltype(P)>()).
//
// One engine serves one call at a time: two threads need two engines (the
// parameter buffer P may be shared, read-only).

#include <cstddef>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <type_traits>

#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/stack_limit.hpp>

namespace tapeless {

template <expression Root, class ParamSet>
class sample_engine {
 public:
  using element_type = typename ParamSet::element_type;
  using shape = typename Root::shape;
  // What value() returns: a number for a scalar f, else a tensor.
  using value_type = detail::result_t<element_type, shape>;
  using input_grad_type = input_values<Root, element_type>;
  using tangent_result = value_and_tangent_result<value_type, value_type>;

  // Workspace numbers per array, and the bytes the engine allocates.
  static constexpr std::size_t slots = slot_layout<Root>::size;
  static constexpr std::size_t bytes = 2 * slots * sizeof(element_type);

  sample_engine() : storage_(std::make_unique<element_type[]>(slots == 0 ? 1 : 2 * slots)) {}

  // ---- value --------------------------------------------------------------

  template <detail::call_arg... B>
  value_type value(const ParamSet& P, const B&... bindings) {
    constexpr std::size_t stack = sizeof(value_type);
    if constexpr (stack > max_stack_bytes) {
      static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                    "tapeless: sample_engine::value returns f's value on the stack, and it takes more bytes (first "
                    "template argument above) than TAPELESS_STACK_LIMIT (second); call value_into(P, out, ...) "
                    "with an output range you keep");
      return value_type{};
    } else if constexpr (!valid_call<B...>()) {
      return value_type{};
    } else {
      return detail::run_value_in<Root>(values(), P, bindings...);
    }
  }

  // Writes f's shape::size numbers (row-major, as tensor<E, shape>) to out,
  // any contiguous range of exactly that many numbers of the element type;
  // a wrong size throws shape_error and writes nothing.
  template <std::ranges::contiguous_range Out, detail::call_arg... B>
  void value_into(const ParamSet& P, Out&& out, const B&... bindings) {
    static_assert(std::is_same_v<std::ranges::range_value_t<Out>, element_type>,
                  "tapeless: sample_engine::value_into writes numbers of the parameter buffer's element type");
    if constexpr (valid_call<B...>()) {
      const std::span<element_type> target(std::ranges::data(out), std::ranges::size(out));
      if (target.size() != shape::size)
        throw shape_error("tapeless: sample_engine::value_into: the output has " + std::to_string(target.size()) +
                          " numbers, f has " + std::to_string(shape::size));
      detail::load_inputs<Root, element_type>(values(), static_cast<element_type*>(nullptr), bindings...);
      detail::sweep_arrays<element_type, element_type> arrays;
      arrays.values = values();
      arrays.params = P.data();
      detail::forward_sweep<Root, ParamSet>(arrays);
      if constexpr (detail::wants_check_finite<B...>) detail::check_forward_values<Root, ParamSet>(arrays);
      const auto v = detail::value_view(arrays, detail::root_location<Root, ParamSet>{});
      for (std::size_t k = 0; k < shape::size; ++k) target[k] = element_type(v[k]);
    }
  }

  // ---- reverse mode -------------------------------------------------------

  // The value of the scalar f; G is overwritten with its gradient with
  // respect to every parameter (once the inputs have passed their checks).
  template <detail::call_arg... B>
  element_type value_and_grad_into(const ParamSet& P, ParamSet& G, const B&... bindings) {
    return reverse<detail::reverse_mode<true, false, true>>(P, G.data(), static_cast<input_grad_type*>(nullptr),
                                                            detail::unit_seed<element_type>{}, bindings...);
  }

  // Also the gradient with respect to every input, written to input_grad.
  template <detail::call_arg... B>
  element_type value_and_grad_into(const ParamSet& P, ParamSet& G, input_grad_type& input_grad,
                                   const B&... bindings) {
    return reverse<detail::reverse_mode<true, true, true>>(P, G.data(), &input_grad,
                                                           detail::unit_seed<element_type>{}, bindings...);
  }

  // Adds the gradient to G: for sums over samples.
  template <detail::call_arg... B>
  element_type value_and_grad_accumulate(const ParamSet& P, ParamSet& G, const B&... bindings) {
    return reverse<detail::reverse_mode<true, false, false>>(P, G.data(), static_cast<input_grad_type*>(nullptr),
                                                             detail::unit_seed<element_type>{}, bindings...);
  }

  // The vector-Jacobian product of any f: returns f's value; G and
  // input_grad are overwritten with the cotangent pulled back to every
  // parameter and input. The cotangent has f's shape (any data a binding
  // accepts).
  template <class Cotangent, detail::value_binding... B>
    requires(!detail::any_binding<Cotangent>)
  value_type vjp_into(const ParamSet& P, const Cotangent& cotangent, ParamSet& G, input_grad_type& input_grad,
                      const B&... bindings) {
    constexpr std::size_t stack = 2 * sizeof(value_type);
    if constexpr (stack > max_stack_bytes) {
      static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                    "tapeless: sample_engine::vjp_into returns f's value on the stack, and it takes more bytes "
                    "(first template argument above, with the cotangent's copy) than TAPELESS_STACK_LIMIT "
                    "(second)");
      return value_type{};
    } else if constexpr (!(!invalid<Root> && detail::params_fit<Root, ParamSet>() &&
                           detail::bindings_fit<Root, B...>())) {
      return value_type{};
    } else {
      detail::check_cotangent_size<shape>(cotangent);
      tensor<element_type, shape> seed;
      detail::copy_flat(cotangent, seed.data());
      return detail::run_reverse_in<Root, element_type, detail::reverse_mode<true, true, true>>(
          values(), second(), P, G.data(), &input_grad, seed, detail::no_observer{}, bindings...);
    }
  }

  // ---- forward mode -------------------------------------------------------

  // The value and its derivative in the direction (dP, tangent<name>(...)
  // of inputs), by one forward sweep; inputs without a tangent are fixed.
  template <detail::any_binding... B>
  tangent_result jvp(const ParamSet& P, const ParamSet& dP, const B&... bindings) {
    return tangent<true>(P, dP.data(), bindings...);
  }
  template <detail::any_binding... B>
  tangent_result jvp(const ParamSet& P, const B&... bindings) {
    return tangent<false>(P, static_cast<const element_type*>(nullptr), bindings...);
  }

 private:
  element_type* values() { return storage_.get(); }
  element_type* second() { return storage_.get() + slots; }  // adjoints or tangents

  template <class... B>
  static constexpr bool valid_call() {
    return !invalid<Root> && detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>();
  }

  template <class Mode, class InputGrad, class Seed, class... B>
  element_type reverse(const ParamSet& P, element_type* G, InputGrad* input_grad, const Seed& seed,
                       const B&... bindings) {
    if constexpr (invalid<Root> || !detail::reverse_call_fits<Root, ParamSet, B...>())
      return element_type(0);
    else
      return detail::run_reverse_in<Root, element_type, Mode>(values(), second(), P, G, input_grad, seed,
                                                               detail::no_observer{}, bindings...);
  }

  template <bool ParamTangents, class... B>
  tangent_result tangent(const ParamSet& P, const element_type* dP, const B&... bindings) {
    constexpr std::size_t stack = sizeof(tangent_result);
    if constexpr (stack > max_stack_bytes) {
      static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                    "tapeless: sample_engine::jvp returns f's value and tangent on the stack, and they take more "
                    "bytes (first template argument above) than TAPELESS_STACK_LIMIT (second)");
      return tangent_result{};
    } else {
      return detail::run_tangent_in<Root, ParamTangents>(values(), second(), P, dP, bindings...);
    }
  }

  std::unique_ptr<element_type[]> storage_;
};

}  // namespace tapeless
