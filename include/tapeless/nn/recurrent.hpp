#pragma once
// Recurrent cells: one step of a recurrence, an expression of this step's
// input x (vec<X>) and the carried state, returning the next state. A
// sequence model runs a cell over the steps with eval/sequence.hpp (the
// state is then an input such as input<"s", vec<2 H>>).
//
// nn::lstm_cell<"lstm", H>(x, s): the LSTM (Hochreiter and Schmidhuber,
// with a forget gate). The state is s = (h, c), one vec<2 H>: the hidden
// state h in elements [0, H) and the cell c in [H, 2 H).
//
//   z  = W x + U h + b                      W: mat<4H, X>, U: mat<4H, H>, b: vec<4H>
//   i  = σ(z[0, H))      input gate
//   f  = σ(z[H, 2H))     forget gate
//   g  = tanh(z[2H, 3H)) candidate
//   o  = σ(z[3H, 4H))    output gate
//   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c'),   returns (h', c')
//
// Parameters "lstm.W", "lstm.U", "lstm.b", with the gates' rows in the order
// i, f, g, o (PyTorch's order). One bias per gate (PyTorch keeps two, b_ih
// and b_hh, whose sum is this one). nn::lstm_hidden<H>(s) is h, the part a
// head reads.
//
// nn::gru_cell<"gru", H>(x, h): the GRU (Cho et al.), state h: vec<H>.
//
//   a  = W x + b,   u = U h                 W: mat<3H, X>, U: mat<3H, H>, b: vec<3H>
//   r  = σ(a[0, H) + u[0, H))        reset gate
//   z  = σ(a[H, 2H) + u[H, 2H))      update gate
//   n  = tanh(a[2H, 3H) + r ⊙ u[2H, 3H))   candidate
//   h' = (1 - z) ⊙ n + z ⊙ h  =  n + z ⊙ (h - n)
//
// Parameters "gru.W", "gru.U", "gru.b", rows in the order r, z, n. The reset
// gate multiplies U_n h after the product, as PyTorch and cuDNN do (the
// original paper resets h before it); with one bias per gate, PyTorch's
// b_hn (inside the reset) is not there.

#include <cstddef>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/ops/add.hpp>
#include <tapeless/ops/concat.hpp>
#include <tapeless/ops/mul.hpp>
#include <tapeless/ops/sigmoid.hpp>
#include <tapeless/ops/slice.hpp>
#include <tapeless/ops/sub.hpp>
#include <tapeless/ops/tanh.hpp>

namespace tapeless::nn {

template <class InputShape, class StateShape>
struct lstm_cell_needs_a_vector_input_and_a_state_of_2H {
  static constexpr bool value = false;
};
template <class InputShape, class StateShape>
struct gru_cell_needs_a_vector_input_and_a_state_of_H {
  static constexpr bool value = false;
};

template <fixed_string Name, std::size_t H>
struct lstm_cell_t {
  static_assert(H > 0, "tapeless: nn::lstm_cell<name, H>: H must be at least 1");

  template <expression X, expression S>
  constexpr auto operator()(X x, S s) const {
    using XS = typename X::shape;
    using SS = typename S::shape;
    if constexpr (invalid<X> || invalid<S>) {
      return detail::invalid_expression{};
    } else if constexpr (XS::rank != 1 || SS::rank != 1 || SS::size != 2 * H) {
      static_assert(lstm_cell_needs_a_vector_input_and_a_state_of_2H<XS, SS>::value,
                    "tapeless: nn::lstm_cell<name, H>(x, s) needs a vector x and a state s = (h, c) of shape "
                    "vec<2 H> (the shapes of x and s are the template arguments above)");
      return detail::invalid_expression{};
    } else {
      constexpr auto W = param<joined_name<Name, ".W">, mat<4 * H, XS::size>>;
      constexpr auto U = param<joined_name<Name, ".U">, mat<4 * H, H>>;
      constexpr auto b = param<joined_name<Name, ".b">, vec<4 * H>>;
      const auto h = slice<0, H>(s);
      const auto c = slice<H, H>(s);
      const auto z = W * x + U * h + b;
      const auto i = sigmoid(slice<0, H>(z));
      const auto f = sigmoid(slice<H, H>(z));
      const auto g = tanh(slice<2 * H, H>(z));
      const auto o = sigmoid(slice<3 * H, H>(z));
      const auto c_next = f * c + i * g;
      return concat(o * tanh(c_next), c_next);
    }
  }
};

template <fixed_string Name, std::size_t H>
inline constexpr lstm_cell_t<Name, H> lstm_cell{};

// h, the first half of an LSTM state (h, c).
template <std::size_t H, expression S>
constexpr auto lstm_hidden(S s) {
  return slice<0, H>(s);
}

template <fixed_string Name, std::size_t H>
struct gru_cell_t {
  static_assert(H > 0, "tapeless: nn::gru_cell<name, H>: H must be at least 1");

  template <expression X, expression S>
  constexpr auto operator()(X x, S h) const {
    using XS = typename X::shape;
    using SS = typename S::shape;
    if constexpr (invalid<X> || invalid<S>) {
      return detail::invalid_expression{};
    } else if constexpr (XS::rank != 1 || SS::rank != 1 || SS::size != H) {
      static_assert(gru_cell_needs_a_vector_input_and_a_state_of_H<XS, SS>::value,
                    "tapeless: nn::gru_cell<name, H>(x, h) needs a vector x and a state h of shape vec<H> (the "
                    "shapes of x and h are the template arguments above)");
      return detail::invalid_expression{};
    } else {
      constexpr auto W = param<joined_name<Name, ".W">, mat<3 * H, XS::size>>;
      constexpr auto U = param<joined_name<Name, ".U">, mat<3 * H, H>>;
      constexpr auto b = param<joined_name<Name, ".b">, vec<3 * H>>;
      const auto a = W * x + b;
      const auto u = U * h;
      const auto r = sigmoid(slice<0, H>(a) + slice<0, H>(u));
      const auto z = sigmoid(slice<H, H>(a) + slice<H, H>(u));
      const auto n = tanh(slice<2 * H, H>(a) + r * slice<2 * H, H>(u));
      return n + z * (h - n);
    }
  }
};

template <fixed_string Name, std::size_t H>
inline constexpr gru_cell_t<Name, H> gru_cell{};

}  // namespace tapeless::nn
