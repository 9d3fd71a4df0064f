#pragma once
// repeat<N, "block">(body, h, init): the body applied N times, as one loop
// node of the graph.
//
//   constexpr auto h = input<"h", vec<16>>;                  // the carried value
//   constexpr auto body = h + relu(param<"W", mat<16, 16>> * h + param<"b", vec<16>>);
//   constexpr auto out = repeat<64, "block">(body, h, input<"x", vec<16>>);
//
//   value  h_0 = init, h_{i+1} = body(h_i; θ_i) for i = 0 … N-1, y = h_N
//   VJP    h̄_N = ȳ; for i = N-1 … 0 the body's VJP at block i gives h̄_i
//          and θ̄_i; init̄ += h̄_0
//   JVP    ḣ_0 = iniṫ; ḣ_{i+1} = the body's JVP at block i (with θ̇_i);
//          ẏ = ḣ_N
//
// The body is a graph of its own (it may read only h and parameters),
// compiled once whatever N, so compile time does not grow with N. Block i
// has its own copy θ_i of the body's parameters: they are one leaf of the
// graph, a stack of N blocks stored block after block (core/expr.hpp,
// param_stack_t), which parameter buffers show as N sets of named entries,
// "block3.W" for the body's "W" in block 3 (`P.get<"block3.W">()`, save and
// load, initializers). Block-major storage is the unrolled network's
// order, so a buffer of the unrolled stack with those names has the same
// layout.
//
// The sweeps run the body's own sweeps block by block, on whatever numbers
// the outer sweep uses (one sample, SIMD lanes, dual numbers), so value,
// gradient, forward mode, HVPs and the batch engine all work through it.
// The node's slot holds the body's node values for the reverse pass; with
// `checkpoint_every<k>` only the state at every k-th block and one stretch
// of k blocks' values are kept, and the reverse pass recomputes each
// stretch from its checkpoint (eval/scan.hpp, shared with trajectory):
// memory for ⌈N/k⌉ - 1 states and k blocks instead of N blocks, for one
// more forward evaluation of the blocks outside the last stretch. Both
// give the same bits.

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/type_list.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/scan.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

// Keep the state at every K-th block and recompute the blocks between
// them in the reverse pass: repeat<N, "block">(body, h, init, checkpoint_every<8>).
template <std::size_t K>
struct checkpoint_every_t {
  static_assert(K > 0, "tapeless: checkpoint_every<K> needs K > 0");
  static constexpr std::size_t every = K;
};
template <std::size_t K>
inline constexpr checkpoint_every_t<K> checkpoint_every{};

template <class Body, class Carry, std::size_t N, std::size_t Every>
struct repeat_op {
  static constexpr bool runs_sweeps = true;
  using shape = typename Carry::shape;
  static constexpr std::size_t S = shape::size;

  // One block's parameters, at offsets of their own (block i's start at
  // i · block_params in the stack).
  using param_layout = detail::leaf_buffer<typename graph<Body>::params, double>;
  static constexpr std::size_t block_params = param_layout::size();
  static constexpr bool has_params = block_params > 0;

  using layout = slot_layout<Body>;
  static constexpr std::size_t block_values = layout::size;
  static constexpr std::size_t carry_at = layout::template offset<Carry>;
  static constexpr std::size_t root_at = layout::template offset_at<Body::size - 1>;
  static constexpr std::size_t carry_position = detail::index_of<Carry, typename Body::nodes>::value;

  static constexpr detail::scan_plan plan = detail::scan_plan::of(N, Every);

  // The body's sweeps differentiate with respect to h always (h̄ and ḣ
  // carry from block to block) and to its parameters when the stack is
  // active.
  template <bool Params>
  struct seeds {
    template <class Leaf>
    static constexpr bool seeded = (Params && param_leaf<Leaf>) || std::is_same_v<Leaf, Carry>;
  };
  template <bool Params>
  using adjoints_of = detail::adjoint_plan<Body, seeds<Params>>;

  // Consecutive blocks' node values are `stride` apart. When h is the
  // body's first slot and its result the last (h + f(h)), they overlap by
  // S: block t's result is block t+1's h, in place, with no copy.
  static constexpr bool chained = carry_at == 0 && root_at == block_values - S;
  static constexpr std::size_t stride = chained ? block_values - S : block_values;

  // The node's slot past its value. Values: the saved states, then one
  // stretch of blocks' node values. Adjoints: h̄ being carried, then one
  // block's adjoints (the body's compact planned layout).
  static constexpr std::size_t value_scratch =
      plan.saved_states() * S + (plan.every - 1) * stride + block_values;
  static constexpr std::size_t adjoint_scratch =
      S + std::max(adjoints_of<true>::data.size, adjoints_of<false>::data.size);

  // Where the stack (block 0's parameters) starts in a sweep's parameter
  // array, or null when the body has no parameters.
  template <class A, class... P>
  static auto params_of(const A& a, P...) {
    if constexpr (sizeof...(P) > 0)
      return value_view(a, P{}...).data();
    else
      return static_cast<decltype(a.params)>(nullptr);
  }

  // The walk over the blocks of one pass: where h_t is (the value, and its
  // tangent in forward mode) and how block t's node values are loaded and
  // run. x is init's value view, xdot its tangent view (forward mode).
  template <class A, class XValue, class XTangent>
  struct walk {
    using V = std::remove_pointer_t<decltype(A::values)>;
    using T = std::remove_pointer_t<decltype(A::tangents)>;
    A body;
    XValue x;
    XTangent xdot;  // unused outside forward mode
    const std::remove_cv_t<std::remove_pointer_t<decltype(A::params)>>* theta;
    V* states;
    V* blocks;
    T* tangent_states = nullptr;  // forward mode: the same places, for tangents
    T* tangent_blocks = nullptr;
    const V* h = nullptr;  // h_t, or null for init
    const T* hdot = nullptr;

    V* values_of(std::size_t slot) const { return blocks + slot * stride; }
    T* tangents_of(std::size_t slot) const { return tangent_blocks + slot * stride; }

    void save(std::size_t c) {
      std::copy_n(h, S, states + c * S);
      if (tangent_states) std::copy_n(hdot, S, tangent_states + c * S);
    }
    void restore(std::size_t c) {
      h = c == 0 ? nullptr : states + (c - 1) * S;
      hdot = c == 0 || !tangent_states ? nullptr : tangent_states + (c - 1) * S;
    }
    // Loads h_t into block `slot`'s h (unless it is there already: chained
    // blocks) and points the body's arrays at block t.
    void load(std::size_t t, std::size_t slot) {
      V* v = values_of(slot);
      if (!h)
        for (std::size_t e = 0; e < S; ++e) v[carry_at + e] = V(x[e]);
      else if (h != v + carry_at)
        std::copy_n(h, S, v + carry_at);
      body.values = v;
      body.params = theta + t * block_params;
    }
    template <bool XMoves>
    void load_tangent(std::size_t slot) {
      T* d = tangents_of(slot);
      if (hdot) {
        if (hdot != d + carry_at) std::copy_n(hdot, S, d + carry_at);  // else chained: in place
      } else if constexpr (XMoves) {
        for (std::size_t e = 0; e < S; ++e) d[carry_at + e] = T(xdot[e]);
      } else {
        for (std::size_t e = 0; e < S; ++e) d[carry_at + e] = detail::zero_like(d[carry_at + e]);
      }
      body.tangents = d;
    }
    // Block t's values, h_{t+1} = body(h_t; θ_t).
    void advance(std::size_t t, std::size_t slot) {
      load(t, slot);
      detail::forward_sweep<Body, param_layout>(body);
      h = values_of(slot) + root_at;
    }
  };
  template <class A, class XValue, class XTangent = XValue>
  static walk<A, XValue, XTangent> walk_of(const A& a, XValue x, XTangent xdot, const auto* theta, auto* states) {
    return {a, x, xdot, theta, states, states + plan.saved_states() * S};
  }

  // h_0 = init, h_{i+1} = body(h_i; θ_i); the node values the plan keeps
  // stay in the slot for the reverse pass.
  template <class A, class Out, class X, class... P>
  static void forward(const A& a, Out, X, P...) {
    auto y = value_view(a, Out{});
    auto w = walk_of(a, value_view(a, X{}), value_view(a, X{}), params_of(a, P{}...), y.data() + S);
    detail::scan_forward(
        plan, [&](std::size_t c) { w.save(c); }, [&](std::size_t t, std::size_t slot) { w.advance(t, slot); });
    std::copy_n(w.h, S, y.data());
  }

  // h̄ from the last block to the first; each block's parameter adjoints
  // are added to its part of the stack's.
  template <unsigned Active, class A, class Out, class AdjOut, class X, class... P, class XAdj, class... PAdj>
  static void reverse(const A& a, Out, AdjOut, detail::type_list<X, P...>, detail::type_list<XAdj, PAdj...>) {
    constexpr bool with_params = has_params && ((Active >> 1) & 1u);
    using body_seeds = seeds<with_params>;
    using root_adjoint = detail::planned_root_location<Body, param_layout, body_seeds>;
    using carry_adjoint = detail::planned_at<Body, param_layout, body_seeds, carry_position>;

    auto y = value_view(a, Out{});
    auto ybar = adjoint_view(a, AdjOut{});
    auto* hbar = ybar.data() + S;  // h̄_t between blocks
    std::copy_n(ybar.data(), S, hbar);
    auto w = walk_of(a, value_view(a, X{}), value_view(a, X{}), params_of(a, P{}...), y.data() + S);
    w.body.adjoints = hbar + S;
    auto* theta_bar = [&] {
      if constexpr (with_params)
        return adjoint_view(a, PAdj{}...).data();
      else
        return static_cast<decltype(a.param_adjoints)>(nullptr);
    }();

    detail::scan_reverse(
        plan, [&](std::size_t c) { w.restore(c); }, [&](std::size_t t, std::size_t slot) { w.advance(t, slot); },
        [&](std::size_t t, std::size_t slot) {
          w.body.values = w.values_of(slot);
          w.body.params = w.theta + t * block_params;
          if constexpr (with_params) w.body.param_adjoints = theta_bar + t * block_params;
          auto seed = adjoint_view(w.body, root_adjoint{});
          for (std::size_t e = 0; e < S; ++e) seed[e] = hbar[e];
          detail::planned_reverse_sweep<Body, param_layout, body_seeds>(w.body);
          auto carried = adjoint_view(w.body, carry_adjoint{});
          for (std::size_t e = 0; e < S; ++e) hbar[e] = carried[e];
        });
    if constexpr ((Active & 1u) != 0) {
      auto xbar = adjoint_view(a, XAdj{});
      for (std::size_t e = 0; e < S; ++e) xbar[e] += hbar[e];
    }
  }

  // ḣ from the first block to the last, values recomputed alongside (so
  // that the slot's tangents mirror its values: a forward-over-reverse
  // pass pairs them into dual numbers).
  template <unsigned Active, class A, class Out, class X, class... P>
  static void tangent(const A& a, Out, X, P...) {
    constexpr bool x_moves = (Active & 1u) != 0;
    constexpr bool with_params = has_params && ((Active >> 1) & 1u);
    using body_seeds = seeds<with_params>;
    auto y = value_view(a, Out{});
    auto ydot = tangent_view(a, Out{});
    auto xdot = [&] {
      if constexpr (x_moves)
        return tangent_view(a, X{});
      else
        return value_view(a, X{});  // not read
    }();
    auto w = walk_of(a, value_view(a, X{}), xdot, params_of(a, P{}...), y.data() + S);
    w.tangent_states = ydot.data() + S;
    w.tangent_blocks = w.tangent_states + plan.saved_states() * S;
    const auto* theta_dot = [&] {
      if constexpr (with_params)
        return tangent_view(a, P{}...).data();
      else
        return static_cast<decltype(a.param_tangents)>(nullptr);
    }();
    detail::scan_forward(
        plan, [&](std::size_t c) { w.save(c); },
        [&](std::size_t t, std::size_t slot) {
          w.load(t, slot);
          w.template load_tangent<x_moves>(slot);
          if constexpr (with_params) w.body.param_tangents = theta_dot + t * block_params;
          detail::tangent_sweep<Body, param_layout, body_seeds>(w.body);
          w.h = w.values_of(slot) + root_at;
          w.hdot = w.tangents_of(slot) + root_at;
        });
    std::copy_n(w.h, S, y.data());
    std::copy_n(w.hdot, S, ydot.data());
  }
};

namespace detail {

template <class Body, class Carry>
struct repeat_body_reads_other_inputs {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};
template <class BodyShape, class CarryShape>
struct repeat_body_must_return_the_carried_shape {
  static constexpr bool value = false;
};

template <class Carry>
struct is_carry {
  template <class Leaf>
  struct other_input : std::bool_constant<input_leaf<Leaf> && !std::is_same_v<Leaf, Carry>> {};
};

}  // namespace detail

// The body applied N times to init (see the top of this file): body reads
// the input leaf `h` (the carried value) and parameters; its parameters
// are N blocks' worth, named Name<i>.<body name>.
template <std::size_t N, fixed_string Name, expression Body, expression Carry, expression Init,
          std::size_t Every = N>
constexpr auto repeat(Body, Carry, Init, checkpoint_every_t<Every> = {}) {
  static_assert(N > 0, "tapeless: repeat<N, name>(body, h, init) needs N > 0");
  using carry = typename detail::single_leaf<std::remove_cvref_t<Carry>>::type;
  static_assert(input_leaf<carry>,
                "tapeless: repeat<N, name>(body, h, init): h must be an input leaf (input<\"h\", S>) that the body "
                "reads as its carried value");
  if constexpr (invalid<Body> || invalid<Init> || !input_leaf<carry>) {
    return detail::invalid_expression{};
  } else {
    using body = std::remove_cvref_t<Body>;
    using S = typename carry::shape;
    using others = detail::filter_t<typename graph<body>::inputs, detail::is_carry<carry>::template other_input>;
    constexpr bool shapes_agree =
        std::is_same_v<typename body::shape, S> && std::is_same_v<typename std::remove_cvref_t<Init>::shape, S>;
    constexpr bool reads_carry = detail::list_contains<carry, typename graph<body>::inputs>;
    if constexpr (!shapes_agree) {
      static_assert(detail::repeat_body_must_return_the_carried_shape<typename body::shape, S>::value,
                    "tapeless: repeat<N, name>(body, h, init): the body and init must have h's shape (the body's "
                    "shape and h's are the template arguments above)");
      return detail::invalid_expression{};
    } else if constexpr (others::size != 0 || !reads_carry) {
      static_assert(detail::repeat_body_reads_other_inputs<others, carry>::value,
                    "tapeless: repeat<N, name>(body, h, init): the body must read h and no other input (the other "
                    "inputs, then h, are the template arguments above)");
      return detail::invalid_expression{};
    } else if constexpr (!op_node_type<typename body::root>) {
      static_assert(op_node_type<typename body::root>,
                    "tapeless: repeat<N, name>(body, h, init): the body must compute something from h");
      return detail::invalid_expression{};
    } else {
      using op = repeat_op<body, carry, N, Every>;
      using body_params = typename graph<body>::params;
      if constexpr (body_params::size == 0) {
        return typename detail::apply_op<op, S, std::remove_cvref_t<Init>>::type{};
      } else {
        using stack = param_stack_t<name_of<Name>, N, body_params, op::block_params>;
        return typename detail::apply_op<op, S, std::remove_cvref_t<Init>, expr<stack>>::type{};
      }
    }
  }
}

}  // namespace tapeless
