#pragma once
// Entry points: evaluate an expression, its gradient (reverse mode), a
// vector-Jacobian product, a Jacobian-vector product (forward mode).
//
//   auto L            = value(loss, P, bind<"x">(x), bind<"y">(y));
//   auto [L, dP]      = value_and_grad(loss, P, bind<"x">(x), bind<"y">(y));
//   auto [L, dP, dX]  = value_and_grad(loss, P, wrt_inputs, bind<"x">(x), ...);
//   auto L            = value_and_grad_into(loss, P, dP, bind<"x">(x), ...);
//   auto [f, dP, dX]  = vjp(f, P, cotangent, bind<"x">(x), ...);
//   auto [f, df]      = jvp(f, P, dP, bind<"x">(x), tangent<"x">(dx), ...);
//   auto [L, dP]      = value_and_grad(loss, P, check_finite, bind<"x">(x), ...);
//
// `check_finite` (value, value_and_grad, value_and_grad_into,
// value_and_grad_accumulate and their sample_engine forms) tests every
// node's value and the parameter gradient, and throws numeric_error at the
// first NaN or infinity, naming the node (eval/finite.hpp). Without it the
// sweeps test nothing.
//
// P is the parameter buffer (`params<decltype(loss), double>`, or any
// buffer holding every parameter the expression uses); an expression with
// no parameters may omit it. Every input must be bound exactly once, by
// name; a missing, unknown or repeated name is a compile-time error naming
// it. Run-time sizes are checked before anything is computed or written.
//
// Nothing here allocates: the workspace is a struct on the stack, sized at
// compile time. The workspace and the result must fit within
// TAPELESS_STACK_LIMIT (256 KiB by default, eval/stack_limit.hpp): a larger
// call does not compile, and its message names the bytes and the
// alternative, a sample_engine (eval/sample_engine.hpp) that holds the
// workspace on the heap, allocated once:
//
//   auto engine = std::make_unique<sample_engine<decltype(loss), decltype(P)>>();
//   auto G = std::make_unique<decltype(P)>();
//   auto L = engine->value_and_grad_into(P, *G, bind<"x">(x), bind<"y">(y));

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/finite.hpp>
#include <tapeless/eval/stack_limit.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

// Asks value_and_grad for the gradient with respect to the inputs as well.
struct wrt_inputs_t {};
inline constexpr wrt_inputs_t wrt_inputs{};

template <class V, class G>
struct value_and_grad_result {
  V value;
  G grad;
};

template <class V, class G, class IG>
struct value_and_full_grad_result {
  V value;
  G grad;
  IG input_grad;
};

template <class V, class D>
struct value_and_tangent_result {
  V value;
  D tangent;
};

namespace detail {

template <class B>
concept value_binding = is_binding<std::remove_cvref_t<B>>::value;
template <class B>
concept any_binding = is_binding<std::remove_cvref_t<B>>::value || is_tangent_binding<std::remove_cvref_t<B>>::value;

template <class Name>
struct unknown_input {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};
template <class Input>
struct missing_binding {
  static constexpr bool value = false;
};
template <class Input>
struct bound_twice {
  static constexpr bool value = false;
};
template <class Name>
struct tangent_for_unknown_input {
  static constexpr bool value = false;
};
template <class Input>
struct tangent_given_twice {
  static constexpr bool value = false;
};
template <class Missing>
struct parameter_not_in_buffer {
  static constexpr bool value = false;
};
template <class Shape>
struct loss_is_not_scalar {
  static constexpr bool value = false;
};

template <class Params>
struct expression_has_parameters {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};

// The parameter buffer used when the caller passes none: only for
// expressions without parameters (with some, they would silently be zero).
template <class Root>
auto no_params() {
  using list = typename graph<Root>::params;
  if constexpr (list::size != 0)
    static_assert(expression_has_parameters<list>::value,
                  "tapeless: the expression has parameters (listed above): pass the parameter buffer, f(..., P, ...)");
  return params<Root, double>{};
}

// What value() returns for a node of shape S.
template <class T, class S>
using result_t = std::conditional_t<S::rank == 0, T, tensor<T, S>>;

// Compile-time checks of the bindings passed for Root's inputs.
template <class Root, class... B>
constexpr bool bindings_fit() {
  using inputs = typename graph<Root>::inputs;
  using values = filter_t<type_list<std::remove_cvref_t<B>...>, is_binding>;
  using tangents = filter_t<type_list<std::remove_cvref_t<B>...>, is_tangent_binding>;
  bool ok = true;
  for_each_type(values{}, [&]<class V>() {
    if constexpr (filter_t<inputs, named<typename V::name>::template is>::size == 0) {
      static_assert(unknown_input<typename V::name>::value,
                    "tapeless: bind<name>(...): the expression has no input of that name (the name is the "
                    "template argument above)");
      ok = false;
    }
  });
  for_each_type(tangents{}, [&]<class V>() {
    if constexpr (filter_t<inputs, named<typename V::name>::template is>::size == 0) {
      static_assert(tangent_for_unknown_input<typename V::name>::value,
                    "tapeless: tangent<name>(...): the expression has no input of that name");
      ok = false;
    }
  });
  for_each_type(inputs{}, [&]<class I>() {
    constexpr std::size_t count = filter_t<values, named<typename I::name>::template is>::size;
    if constexpr (count == 0) {
      static_assert(missing_binding<I>::value,
                    "tapeless: an input of the expression has no binding; pass bind<name>(data) for it (the "
                    "input is the template argument above)");
      ok = false;
    } else if constexpr (count > 1) {
      static_assert(bound_twice<I>::value, "tapeless: an input is bound more than once");
      ok = false;
    }
    if constexpr (filter_t<tangents, named<typename I::name>::template is>::size > 1) {
      static_assert(tangent_given_twice<I>::value, "tapeless: an input has more than one tangent");
      ok = false;
    }
  });
  return ok;
}

template <class Params, class ParamSet>
struct params_held;
template <class... P, class ParamSet>
struct params_held<type_list<P...>, ParamSet> {
  static constexpr std::size_t first_missing =
      first_false(std::array<bool, sizeof...(P)>{list_contains<P, typename ParamSet::leaves>...});
  static constexpr bool all = first_missing == sizeof...(P);
};

template <class Root, class ParamSet>
constexpr bool params_fit() {
  using params = typename graph<Root>::params;
  using held = params_held<params, ParamSet>;
  if constexpr (!held::all)
    static_assert(parameter_not_in_buffer<type_at<held::first_missing, params>>::value,
                  "tapeless: the parameter buffer passed does not hold a parameter the expression uses (the "
                  "parameter is the template argument above)");
  return held::all;
}

// Whether B is a binding of kind Kind for input Input (options such as
// check_finite have no name, and are none).
template <template <class> class Kind, class B, class Input>
constexpr bool binds_input() {
  if constexpr (Kind<B>::value)
    return std::is_same_v<typename B::name, typename Input::name>;
  else
    return false;
}

// The binding among Bs for input Input (exactly one exists after the checks).
template <template <class> class Kind, class Input, class... B>
constexpr std::size_t binding_index() {
  constexpr bool match[] = {binds_input<Kind, std::remove_cvref_t<B>, Input>()..., false};
  std::size_t i = 0;
  while (i < sizeof...(B) && !match[i]) ++i;
  return i;
}

template <template <class> class Kind, class Input, class... B>
inline constexpr bool has_binding = binding_index<Kind, Input, B...>() < sizeof...(B);

// Checks every run-time size (throwing before anything is written), then
// copies input values (and tangents, when `tangents` is not null) into
// their slots.
template <class Root, class T, class... B>
void load_inputs(T* values, T* tangents, const B&... bindings) {
  (
      [&] {
        if constexpr (!std::is_same_v<B, check_finite_t>)
          check_binding_size<typename graph<Root>::template input_named<typename B::name>>(bindings.data);
      }(),
      ...);
  auto all = std::forward_as_tuple(bindings...);
  for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
    copy_flat(std::get<binding_index<is_binding, I, B...>()>(all).data, values + slot_layout<Root>::template offset<I>);
    if constexpr (has_binding<is_tangent_binding, I, B...>)
      if (tangents)
        copy_flat(std::get<binding_index<is_tangent_binding, I, B...>()>(all).data,
                  tangents + slot_layout<Root>::template offset<I>);
  });
}

// Whether leaf L is an input with a tangent among the bindings B.
template <class L, class... B>
struct has_tangent : std::false_type {};
template <class N, class S, class... B>
struct has_tangent<input_t<N, S>, B...> : std::bool_constant<has_binding<is_tangent_binding, input_t<N, S>, B...>> {};

// Seeds for a tangent sweep: parameters when a parameter tangent is given,
// and the inputs that have a tangent binding.
template <bool Params, class... B>
struct tangent_seeds {
  template <class Leaf>
  static constexpr bool seeded = (Params && param_leaf<Leaf>) || has_tangent<Leaf, B...>::value;
};

template <class Root, class ParamSet, class T, class E, class PA, class V, class PT>
result_t<V, typename Root::shape> read_value(const sweep_arrays<T, E, PA, V, PT>& arrays) {
  auto v = value_view(arrays, root_location<Root, ParamSet>{});
  if constexpr (Root::shape::rank == 0) {
    return V(v[0]);
  } else {
    tensor<V, typename Root::shape> out;
    for (std::size_t k = 0; k < Root::shape::size; ++k) out[k] = V(v[k]);
    return out;
  }
}

// What one reverse-mode call differentiates and how it treats the
// parameter gradient buffer.
template <bool Params, bool Inputs, bool OverwriteParamGrad>
struct reverse_mode {
  using seeds = seed_leaves<Params, Inputs>;
  static constexpr bool inputs = Inputs;
  static constexpr bool overwrite = OverwriteParamGrad;
};

// One reverse-mode call in number type T: forward sweep, then reverse sweep
// seeded with `seed` (the cotangent of the output), adding parameter
// adjoints to `param_grad` (when not null; zeroed first with overwrite, once
// the inputs have passed their checks) and writing input adjoints to
// `input_grad` (when inputs are differentiated). Returns the value.
// The workspace is `values` and `adjoints`, slot_layout<Root>::size numbers
// each (run_reverse puts them on the stack, sample_engine on the heap).
template <class Root, class T, class Mode, class ParamSet, class Seed, class InputGrad, class Observer, class... B>
result_t<T, typename Root::shape> run_reverse_in(T* values, T* adjoints, const ParamSet& P, T* param_grad,
                                                 InputGrad* input_grad, const Seed& seed, const Observer& observer,
                                                 const B&... bindings) {
  using layout = slot_layout<Root>;
  using E = typename ParamSet::element_type;
  load_inputs<Root, T>(values, static_cast<T*>(nullptr), bindings...);
  if constexpr (Mode::overwrite)
    for (std::size_t k = 0; k < ParamSet::size(); ++k) param_grad[k] = T(0);

  sweep_arrays<T, E, T> arrays;
  arrays.values = values;
  arrays.adjoints = adjoints;
  arrays.params = P.data();
  arrays.param_adjoints = param_grad;

  forward_sweep<Root, ParamSet>(arrays, observer);
  if constexpr (wants_check_finite<B...>) check_forward_values<Root, ParamSet>(arrays);
  auto result = read_value<Root, ParamSet>(arrays);

  using seeds = typename Mode::seeds;
  // Without an observer the adjoints live in the compact planned layout
  // (eval/adjoint_plan.hpp: no clearing of the whole array, no copies
  // through identity VJPs); an observer (the tests' visit counts) gets the
  // plain sweep, which tells it of every node.
  constexpr bool planned = std::is_same_v<Observer, no_observer>;
  if constexpr (root_active<Root, seeds>) {
    if constexpr (planned) {
      auto root_adjoint = adjoint_view(arrays, planned_root_location<Root, ParamSet, seeds>{});
      for (std::size_t k = 0; k < Root::shape::size; ++k) root_adjoint[k] = T(seed[k]);
      planned_reverse_sweep<Root, ParamSet, seeds>(arrays);
    } else {
      for (std::size_t k = 0; k < layout::size; ++k) adjoints[k] = T(0);
      auto root_adjoint = adjoint_view(arrays, root_location<Root, ParamSet>{});
      for (std::size_t k = 0; k < Root::shape::size; ++k) root_adjoint[k] += seed[k];
      reverse_sweep<Root, ParamSet, seeds>(arrays, observer);
    }
  }
  if constexpr (Mode::inputs) {
    if constexpr (root_active<Root, seeds>) {
      for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
        if constexpr (planned)
          input_grad->template view<I>().assign(adjoint_view(
              arrays, planned_at<Root, ParamSet, seeds, index_of<I, typename Root::nodes>::value>{}));
        else
          input_grad->template view<I>().assign(
              tensor_view<const T, typename I::shape>(adjoints + layout::template offset<I>));
      });
    } else {
      input_grad->fill(0);
    }
  }
  if constexpr (wants_check_finite<B...>)
    if (param_grad) check_param_gradient<ParamSet>([&](std::size_t k) -> const T& { return param_grad[k]; });
  return result;
}

// run_reverse_in with the workspace on the stack.
template <class Root, class T, class Mode, class ParamSet, class Seed, class InputGrad, class Observer, class... B>
result_t<T, typename Root::shape> run_reverse(const ParamSet& P, T* param_grad, InputGrad* input_grad,
                                              const Seed& seed, const Observer& observer, const B&... bindings) {
  workspace<Root, T> ws;
  return run_reverse_in<Root, T, Mode>(ws.values.data(), ws.adjoints.data(), P, param_grad, input_grad, seed,
                                       observer, bindings...);
}

// The forward sweep alone, over `values` (slot_layout<Root>::size numbers).
template <class Root, class ParamSet, class... B>
auto run_value_in(typename ParamSet::element_type* values, const ParamSet& P, const B&... bindings) {
  using E = typename ParamSet::element_type;
  load_inputs<Root, E>(values, static_cast<E*>(nullptr), bindings...);
  sweep_arrays<E, E> arrays;
  arrays.values = values;
  arrays.params = P.data();
  forward_sweep<Root, ParamSet>(arrays);
  if constexpr (wants_check_finite<B...>) check_forward_values<Root, ParamSet>(arrays);
  return read_value<Root, ParamSet>(arrays);
}

// The node values of one call (a forward sweep needs no adjoints).
template <class Root, class T>
struct value_workspace {
  std::array<T, slot_layout<Root>::size> values;
};

// Bytes a one-call entry point keeps on the stack: its workspace and result.
template <class Root, class E>
inline constexpr std::size_t value_stack_bytes = sizeof(value_workspace<Root, E>) + sizeof(result_t<E, typename Root::shape>);
template <class Root, class E, class Result>
inline constexpr std::size_t reverse_stack_bytes =
    sizeof(workspace<Root, E>) + sizeof(Result) + 2 * sizeof(result_t<E, typename Root::shape>);
template <class Root, class E, class Result>
inline constexpr std::size_t tangent_stack_bytes = sizeof(tangent_workspace<Root, E>) + sizeof(Result);

template <class T>
struct unit_seed {
  T operator[](std::size_t) const { return T(1); }
};

template <class Root, class ParamSet, class... B>
constexpr bool reverse_call_fits() {
  constexpr bool scalar_loss = Root::shape::rank == 0;
  if constexpr (!scalar_loss)
    static_assert(loss_is_not_scalar<typename Root::shape>::value,
                  "tapeless: value_and_grad(f, ...) needs a scalar f (so do hvp and hessian); for a vector-valued f "
                  "use vjp(f, P, cotangent, ...), jvp or jacobian (the shape of f is the template argument above)");
  return scalar_loss && params_fit<Root, ParamSet>() && bindings_fit<Root, B...>();
}

template <class ParamSet>
concept param_buffer = leaf_storage<ParamSet>;

}  // namespace detail

// ---- value --------------------------------------------------------------

template <expression Root, detail::param_buffer ParamSet, detail::call_arg... B>
auto value(Root, const ParamSet& P, const B&... bindings) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t stack = detail::value_stack_bytes<Root, E>;
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value(f, P, ...) would keep its workspace and result on the stack, and they take more "
                  "bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace is on the heap, "
                  "allocated once) and call its value_into(P, out, ...)");
  if constexpr (stack > max_stack_bytes || invalid<Root> ||
                !(detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>())) {
    return E(0);
  } else {
    detail::value_workspace<Root, E> ws;
    return detail::run_value_in<Root>(ws.values.data(), P, bindings...);
  }
}

template <expression Root, detail::call_arg... B>
auto value(Root root, const B&... bindings) {
  return value(root, detail::no_params<Root>(), bindings...);
}

// ---- reverse mode ---------------------------------------------------------

// The value of a scalar expression and its gradient with respect to every
// parameter, as a buffer of the same type and layout as P.
template <expression Root, detail::param_buffer ParamSet, detail::call_arg... B>
auto value_and_grad(Root, const ParamSet& P, const B&... bindings) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t stack = detail::reverse_stack_bytes<Root, E, value_and_grad_result<E, ParamSet>>;
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_and_grad(f, P, ...) would keep its workspace and the returned gradient on the "
                  "stack, and they take more bytes (first template argument above) than TAPELESS_STACK_LIMIT "
                  "(second); keep a sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace "
                  "is on the heap, allocated once) and a gradient buffer (std::make_unique<decltype(P)>()), and call "
                  "engine.value_and_grad_into(P, G, ...)");
  value_and_grad_result<E, ParamSet> out{E(0), {}};
  if constexpr (stack <= max_stack_bytes && !invalid<Root> && detail::reverse_call_fits<Root, ParamSet, B...>())
    out.value = detail::run_reverse<Root, E, detail::reverse_mode<true, false, false>>(
        P, out.grad.data(), static_cast<input_values<Root, E>*>(nullptr), detail::unit_seed<E>{},
        detail::no_observer{}, bindings...);
  return out;
}

// Also the gradient with respect to every input (`input_grad.get<"x">()`).
template <expression Root, detail::param_buffer ParamSet, detail::call_arg... B>
auto value_and_grad(Root, const ParamSet& P, wrt_inputs_t, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using result_type = value_and_full_grad_result<E, ParamSet, input_values<Root, E>>;
  constexpr std::size_t stack = detail::reverse_stack_bytes<Root, E, result_type>;
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_and_grad(f, P, wrt_inputs, ...) would keep its workspace and the returned "
                  "gradients on the stack, and they take more bytes (first template argument above) than "
                  "TAPELESS_STACK_LIMIT (second); keep a sample_engine<decltype(f), decltype(P)> "
                  "(eval/sample_engine.hpp; its workspace is on the heap, allocated once) and gradient buffers, and "
                  "call engine.value_and_grad_into(P, G, input_grad, ...)");
  result_type out{E(0), {}, {}};
  if constexpr (stack <= max_stack_bytes && !invalid<Root> && detail::reverse_call_fits<Root, ParamSet, B...>())
    out.value = detail::run_reverse<Root, E, detail::reverse_mode<true, true, false>>(
        P, out.grad.data(), &out.input_grad, detail::unit_seed<E>{}, detail::no_observer{}, bindings...);
  return out;
}

template <expression Root, detail::call_arg... B>
auto value_and_grad(Root root, wrt_inputs_t w, const B&... bindings) {
  return value_and_grad(root, detail::no_params<Root>(), w, bindings...);
}

// Writes the gradient into G (overwriting it) and returns the value: the
// allocation-free form for loops. G must have P's type.
template <expression Root, detail::param_buffer ParamSet, detail::call_arg... B>
auto value_and_grad_into(Root, const ParamSet& P, ParamSet& G, const B&... bindings) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t stack = detail::reverse_stack_bytes<Root, E, E>;
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_and_grad_into(f, P, G, ...) would keep its workspace on the stack, and it takes "
                  "more bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace is on the heap, "
                  "allocated once) and call engine.value_and_grad_into(P, G, ...)");
  if constexpr (stack > max_stack_bytes || invalid<Root> || !detail::reverse_call_fits<Root, ParamSet, B...>()) {
    return E(0);
  } else {
    return detail::run_reverse<Root, E, detail::reverse_mode<true, false, true>>(
        P, G.data(), static_cast<input_values<Root, E>*>(nullptr), detail::unit_seed<E>{}, detail::no_observer{},
        bindings...);
  }
}

// Adds the gradient to G and returns the value: for sums over samples.
template <expression Root, detail::param_buffer ParamSet, detail::call_arg... B>
auto value_and_grad_accumulate(Root, const ParamSet& P, ParamSet& G, const B&... bindings) {
  using E = typename ParamSet::element_type;
  constexpr std::size_t stack = detail::reverse_stack_bytes<Root, E, E>;
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: value_and_grad_accumulate(f, P, G, ...) would keep its workspace on the stack, and it "
                  "takes more bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace is on the heap, "
                  "allocated once) and call engine.value_and_grad_accumulate(P, G, ...)");
  if constexpr (stack > max_stack_bytes || invalid<Root> || !detail::reverse_call_fits<Root, ParamSet, B...>())
    return E(0);
  else
    return detail::run_reverse<Root, E, detail::reverse_mode<true, false, false>>(
        P, G.data(), static_cast<input_values<Root, E>*>(nullptr), detail::unit_seed<E>{}, detail::no_observer{},
        bindings...);
}

// The vector-Jacobian product of any expression: the value, and the
// cotangent pulled back to every parameter and every input. The cotangent
// has the expression's shape (any data a binding accepts).
template <expression Root, detail::param_buffer ParamSet, class Cotangent, detail::value_binding... B>
  requires(!detail::any_binding<Cotangent>)
auto vjp(Root, const ParamSet& P, const Cotangent& cotangent, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using S = typename Root::shape;
  using result_type = value_and_full_grad_result<detail::result_t<E, S>, ParamSet, input_values<Root, E>>;
  constexpr std::size_t stack = detail::reverse_stack_bytes<Root, E, result_type> + sizeof(tensor<E, S>);
  if constexpr (stack > max_stack_bytes)
    static_assert(detail::stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: vjp(f, P, cotangent, ...) would keep its workspace and the returned gradients on the "
                  "stack, and they take more bytes (first template argument above) than TAPELESS_STACK_LIMIT "
                  "(second); keep a sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace "
                  "is on the heap, allocated once) and gradient buffers, and call engine.vjp_into(P, cotangent, G, "
                  "input_grad, ...)");
  result_type out{};
  if constexpr (stack <= max_stack_bytes && !invalid<Root> && detail::params_fit<Root, ParamSet>() &&
                detail::bindings_fit<Root, B...>()) {
    detail::check_cotangent_size<S>(cotangent);
    tensor<E, S> seed;
    detail::copy_flat(cotangent, seed.data());
    out.value = detail::run_reverse<Root, E, detail::reverse_mode<true, true, false>>(
        P, out.grad.data(), &out.input_grad, seed, detail::no_observer{}, bindings...);
  }
  return out;
}

template <expression Root, class Cotangent, detail::value_binding... B>
  requires(!detail::param_buffer<Cotangent> && !detail::any_binding<Cotangent>)
auto vjp(Root root, const Cotangent& cotangent, const B&... bindings) {
  return vjp(root, detail::no_params<Root>(), cotangent, bindings...);
}

// ---- forward mode -------------------------------------------------------

namespace detail {
// One forward-mode call over the workspace `values` and `tangents`
// (slot_layout<Root>::size numbers each).
template <class Root, bool ParamTangents, class ParamSet, class... B>
auto run_tangent_in(typename ParamSet::element_type* values, typename ParamSet::element_type* tangents,
                    const ParamSet& P, const typename ParamSet::element_type* dP, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using S = typename Root::shape;
  value_and_tangent_result<result_t<E, S>, result_t<E, S>> out{};
  if constexpr (!invalid<Root> && params_fit<Root, ParamSet>() && bindings_fit<Root, B...>()) {
    load_inputs<Root, E>(values, tangents, bindings...);
    sweep_arrays<E, E> arrays;
    arrays.values = values;
    arrays.tangents = tangents;
    arrays.params = P.data();
    arrays.param_tangents = dP;
    using seeds = tangent_seeds<ParamTangents, std::remove_cvref_t<B>...>;
    tangent_sweep<Root, ParamSet, seeds>(arrays);
    out.value = read_value<Root, ParamSet>(arrays);
    if constexpr (root_active<Root, seeds>) {
      auto t = tangent_view(arrays, root_location<Root, ParamSet>{});
      if constexpr (S::rank == 0)
        out.tangent = t[0];
      else
        for (std::size_t k = 0; k < S::size; ++k) out.tangent[k] = t[k];
    } else {
      out.tangent = result_t<E, S>{};
    }
  }
  return out;
}

// run_tangent_in with the workspace on the stack.
template <class Root, bool ParamTangents, class ParamSet, class... B>
auto run_tangent(const ParamSet& P, const typename ParamSet::element_type* dP, const B&... bindings) {
  using E = typename ParamSet::element_type;
  using S = typename Root::shape;
  using result_type = value_and_tangent_result<result_t<E, S>, result_t<E, S>>;
  constexpr std::size_t stack = tangent_stack_bytes<Root, E, result_type>;
  if constexpr (stack > max_stack_bytes) {
    static_assert(stack_bytes_over_limit<stack, max_stack_bytes>::value,
                  "tapeless: jvp(f, P, ...) would keep its workspace and result on the stack, and they take more "
                  "bytes (first template argument above) than TAPELESS_STACK_LIMIT (second); keep a "
                  "sample_engine<decltype(f), decltype(P)> (eval/sample_engine.hpp; its workspace is on the heap, "
                  "allocated once) and call its jvp");
    return result_type{};
  } else {
    tangent_workspace<Root, E> ws;
    return run_tangent_in<Root, ParamTangents>(ws.values.data(), ws.tangents.data(), P, dP, bindings...);
  }
}
}  // namespace detail

// The Jacobian-vector product: the value and its derivative in the
// direction (dP, tangents of inputs), by one forward sweep. Inputs without
// a tangent<name>(...) binding are held fixed.
template <expression Root, detail::param_buffer ParamSet, detail::any_binding... B>
auto jvp(Root, const ParamSet& P, const ParamSet& dP, const B&... bindings) {
  return detail::run_tangent<Root, true>(P, dP.data(), bindings...);
}

template <expression Root, detail::param_buffer ParamSet, detail::any_binding... B>
auto jvp(Root, const ParamSet& P, const B&... bindings) {
  return detail::run_tangent<Root, false>(P, static_cast<const typename ParamSet::element_type*>(nullptr),
                                          bindings...);
}

template <expression Root, detail::any_binding... B>
auto jvp(Root root, const B&... bindings) {
  return jvp(root, detail::no_params<Root>(), bindings...);
}

}  // namespace tapeless
