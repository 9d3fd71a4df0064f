#pragma once
// Layers: functions from an expression to an expression that bring their
// own parameters, named after the layer.
//
//   constexpr auto net = dense<"fc1", 32> | nn::relu | dense<"out", 10>;
//   constexpr auto logits = net(input<"x", vec<64>>);     // or: x | net
//
// A layer is an object with `operator()(expression)`. `a | b` composes two
// layers (a first), `x | layer` applies one. `residual(f)` is x + f(x);
// `repeat<N, "block">(layer)` applies one layer N times as one loop node
// (ops/repeat.hpp): compiled once whatever N, with block i's parameters
// named "block<i>." and the layer's names (`nn::dense<"", 16>` gives
// "block3.W"); `repeat<N, "block">(layer, checkpoint_every<k>)` keeps
// every k-th block's input only and recomputes the rest in the reverse
// pass. `repeat<N>(block)` unrolls instead, block(x, index<I>) for I = 0
// .. N-1, so each copy may differ and name its parameters after I (see
// nn/dense.hpp's `dense<indexed_name<"block", I>, 16>`); its compile time
// grows with N.

#include <cstddef>
#include <type_traits>
#include <utility>

#include <tapeless/core/expr.hpp>
#include <tapeless/ops/add.hpp>
#include <tapeless/ops/repeat.hpp>

namespace tapeless::nn {

// Every layer derives from this tag, so `|` applies only to layers.
struct layer_tag {};

template <class L>
concept layer = std::is_base_of_v<layer_tag, std::remove_cvref_t<L>>;

// Wraps a function object as a layer.
template <class F>
struct function_layer : layer_tag {
  F f;
  template <expression X>
  constexpr auto operator()(X x) const {
    return f(x);
  }
};
template <class F>
constexpr function_layer<F> as_layer(F f) {
  return {{}, f};
}

// a then b.
template <class A, class B>
struct sequential : layer_tag {
  A first;
  B second;
  template <expression X>
  constexpr auto operator()(X x) const {
    return second(first(x));
  }
};

template <layer A, layer B>
constexpr sequential<std::remove_cvref_t<A>, std::remove_cvref_t<B>> operator|(const A& a, const B& b) {
  return {{}, a, b};
}

template <expression X, layer L>
constexpr auto operator|(X x, const L& l) {
  return l(x);
}

// x + f(x): the residual connection, whose identity path carries the
// gradient past f unchanged.
template <class F>
struct residual_layer : layer_tag {
  F f;
  template <expression X>
  constexpr auto operator()(X x) const {
    return x + f(x);
  }
};
template <layer F>
constexpr residual_layer<std::remove_cvref_t<F>> residual(const F& f) {
  return {{}, f};
}

// The position of a block in a repeat: block(x, index<I>).
template <std::size_t I>
using index_t = std::integral_constant<std::size_t, I>;
template <std::size_t I>
inline constexpr index_t<I> index{};

template <std::size_t N, class Block>
struct repeat_layer : layer_tag {
  Block block;
  template <std::size_t I, expression X>
  constexpr auto apply(X x) const {
    if constexpr (I == N)
      return x;
    else
      return apply<I + 1>(block(x, index<I>));
  }
  template <expression X>
  constexpr auto operator()(X x) const {
    return apply<0>(x);
  }
};
template <std::size_t N, class Block>
constexpr repeat_layer<N, Block> repeat(Block block) {
  return {{}, block};
}

// The carried value of a loop layer's body.
inline constexpr fixed_string loop_carry_name = "tapeless.h";

// N copies of one layer as one loop node (ops/repeat.hpp): the layer is
// compiled once, whatever N, and block i's parameters are named
// Name<i>.<the layer's name>.
template <std::size_t N, fixed_string Name, class Block, std::size_t Every>
struct loop_layer : layer_tag {
  Block block;
  template <expression X>
  constexpr auto operator()(X x) const {
    if constexpr (invalid<X>) {
      return x;
    } else {
      constexpr auto h = input<loop_carry_name, typename X::shape>;
      return tapeless::repeat<N, Name>(decltype(std::declval<const Block&>()(h)){}, h, x, checkpoint_every<Every>);
    }
  }
};
template <std::size_t N, fixed_string Name, class Block, std::size_t Every = N>
constexpr loop_layer<N, Name, Block, Every> repeat(Block block, checkpoint_every_t<Every> = {}) {
  return {{}, block};
}

}  // namespace tapeless::nn
