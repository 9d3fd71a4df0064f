#pragma once
// What every op file builds on: argument tags, the three op families, the
// element loops of the elementwise families, and the helpers builders use to
// check shapes and report mistakes.
//
// An op rule is a stateless struct. Its family says how the drivers call it:
//
//  - unary_elementwise:  value(x) -> y, vjp(x, y, ybar) -> xbar contribution,
//                        jvp(x, y, xdot) -> ydot; all on single numbers.
//                        On a dual number the value comes from value and
//                        jvp (math::apply), so the derivative is written
//                        once (binary ops too). An elementary function also has primal(v),
//                        the function of a float, double or one SIMD
//                        register, and defines math::<name> (ops/exp.hpp).
//  - binary_elementwise: value(a, b) -> y, vjp(arg<I>, a, b, y, ybar) and
//                        jvp(arg<I>, a, b, y, tangent of arg I); a scalar
//                        operand broadcasts over the other one's shape.
//  - structural:         value(y, args...), vjp(arg<I>, argbar_I, ybar,
//                        args..., y) accumulating into argbar_I, and
//                        jvp(arg<I>, ydot, argdot_I, args..., y) accumulating
//                        into ydot; all on shaped views.
//
// Rules are generic over the number type: a "number" may be float, double,
// an xsimd batch (one sample per lane) or a dual number, and arguments may
// mix them (a parameter is the same on every lane, an input is not).

#include <cstddef>
#include <cstdint>
#include <ratio>
#include <type_traits>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/merge.hpp>
#include <tapeless/core/rational.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/math/dual.hpp>
#include <tapeless/math/number.hpp>
#include <tapeless/math/parts.hpp>

namespace tapeless {

// Names the argument a VJP or JVP rule is about: vjp(arg<1>, ...) is the
// pullback to the second argument.
template <std::size_t I>
struct arg_t {
  static constexpr std::size_t index = I;
};
template <std::size_t I>
inline constexpr arg_t<I> arg{};

struct unary_elementwise {
  template <class S>
  using result_shape = S;
};

struct binary_elementwise {
  template <class A, class B>
  using result_shape = std::conditional_t<A::rank == 0, B, A>;
};

struct structural {};

// The subgradient an op uses at its kink, as an exact ratio: relu(x, kink<1>).
template <std::intmax_t Num, std::intmax_t Den = 1>
struct kink_t {
  using value = rational<Num, Den>;
};
template <std::intmax_t Num, std::intmax_t Den = 1>
inline constexpr kink_t<Num, Den> kink{};

namespace detail {

template <class T>
struct element_of {
  using type = typename element_of<typename T::value_type>::type;
};
template <class T>
  requires std::is_floating_point_v<T>
struct element_of<T> {
  using type = T;
};

// The compile-time ratio R as the number type of `like` (broadcast on lanes).
template <class R, class T>
T ratio_as(const T&) {
  return T(R::template as<typename element_of<T>::type>());
}

// What a diagnostic shows for an operand: a leaf as itself (its name and
// shape), any other expression as the shape it computes.
template <class Shape>
struct unnamed {};
template <class E, class Leaf = typename single_leaf<E>::type>
struct describe {
  using type = Leaf;
};
template <class E>
struct describe<E, void> {
  using type = unnamed<typename E::shape>;
};

// Always false; its template arguments are what the user reads.
template <class... Operands>
struct shape_mismatch {
  // Its own member, not std::false_type's, so that g++ names the arguments.
  static constexpr bool value = false;
};
template <class... Operands>
using report_shapes = shape_mismatch<typename describe<Operands>::type...>;

// Shapes of an elementwise op's operands agree: equal, or one is a scalar.
// An operand that already failed its own check agrees with everything.
template <class A, class B>
concept broadcastable = invalid<A> || invalid<B> || std::is_same<typename A::shape, typename B::shape>::value ||
                        A::shape::rank == 0 || B::shape::rank == 0;

// Op applied to the arguments' values (core/merge.hpp builds the node
// list), or the silent invalid expression when a check failed here or
// earlier.
template <class Op, bool Valid = true, class... Args>
constexpr auto make_node(Args...) {
  if constexpr (!Valid || (invalid<Args> || ...))
    return invalid_expression{};
  else
    return typename apply_op<Op, typename Op::template result_shape<typename Args::shape...>, Args...>::type{};
}

// The number type of an operation on an A and a B: the non-builtin one (a
// SIMD batch, a dual number) when there is one.
template <class A, class B>
using common_number_t =
    std::conditional_t<std::is_arithmetic_v<A>, std::conditional_t<std::is_arithmetic_v<B>, std::common_type_t<A, B>, B>, A>;

template <class T>
T zero_like(const T&) {
  return T(0);
}

// The number type of a view's elements.
template <class V>
using number_of = std::remove_cvref_t<decltype(std::declval<V>()[0])>;

// Register g of element k of a view whose numbers are made of registers
// (math/parts.hpp); a plain number (a parameter, a constant) is broadcast
// to a register of that type.
template <class P, class V>
decltype(auto) part_at(V v, std::size_t k, std::size_t g) {
  using N = number_of<V>;
  if constexpr (math::multi_part<N>)
    return math::number_parts<N>::get(v[k], g);
  else
    return P(v[k]);
}

// Arithmetic on two constants is done at compile time: `2_c * 0.25_c` is
// `constant<1, 2>`. std::ratio diagnoses overflow.
template <template <class, class> class RatioOp, class A, class B>
constexpr auto fold_constants() {
  using a = typename single_leaf<A>::type::value;
  using b = typename single_leaf<B>::type::value;
  using r = RatioOp<std::ratio<a::num, a::den>, std::ratio<b::num, b::den>>;
  return constant<r::num, r::den>;
}
}  // namespace detail

namespace math {

// The value of the elementwise op Op at numbers of any type: at dual
// numbers, the op's value at their values with the op's own JVP rule as the
// tangent, so a derivative is written once, in the op's header (and a kink
// or a tie has the op's documented subgradient in forward mode too).
// Elsewhere it is Op::value.
template <class Op, class T>
T apply(const T& x) {
  if constexpr (detail::is_dual<T>::value) {
    const auto y = apply<Op>(x.value);
    return T(y, Op::jvp(x.value, y, x.tangent));
  } else {
    return Op::value(x);
  }
}
template <class Op, class T>
T apply(const T& a, const T& b) {
  if constexpr (detail::is_dual<T>::value) {
    const auto y = apply<Op>(a.value, b.value);
    return T(y, Op::jvp(arg<0>, a.value, b.value, y, a.tangent) + Op::jvp(arg<1>, a.value, b.value, y, b.tangent));
  } else {
    return Op::value(a, b);
  }
}

}  // namespace math

// Whether an op's VJP to argument I is the identity, ā += ȳ (for an
// argument of the result's shape): an op says so with a static
// `identity_vjp(i)`. The batch engine then lets such an argument's adjoint
// share the result's memory when the op is its only use, instead of
// copying it (eval/adjoint_plan.hpp).
template <class Op, std::size_t I>
constexpr bool identity_vjp() {
  if constexpr (requires { Op::identity_vjp(I); })
    return Op::identity_vjp(I);
  else
    return false;
}

// The rule as the drivers see it: whole-node value, VJP and JVP on views.
// Elementwise families get their element loops here, once.
template <class Op, class Family = void>
struct rules : Op {};

// On numbers made of several registers (a chunk of samples) the rules run
// register by register: the op's own rule on one SIMD register at a time,
// with no whole-chunk temporaries.
template <class Op>
  requires std::is_base_of_v<unary_elementwise, Op>
struct rules<Op> {
  template <class Y, class X>
  static void value(Y y, X x) {
    using N = detail::number_of<X>;
    if constexpr (math::multi_part<N> && std::is_same_v<N, detail::number_of<Y>>) {
      using NP = math::number_parts<N>;
      for (std::size_t k = 0; k < Y::size(); ++k)
        for (std::size_t g = 0; g < NP::count; ++g) NP::get(y[k], g) = Op::value(NP::get(x[k], g));
    } else {
      for (std::size_t k = 0; k < Y::size(); ++k) y[k] = math::apply<Op>(x[k]);
    }
  }
  template <class XBar, class YBar, class X, class Y>
  static void vjp(arg_t<0>, XBar xbar, YBar ybar, X x, Y y) {
    using N = detail::number_of<X>;
    if constexpr (math::multi_part<N> && std::is_same_v<N, detail::number_of<XBar>> &&
                  std::is_same_v<N, detail::number_of<YBar>> && std::is_same_v<N, detail::number_of<Y>>) {
      using NP = math::number_parts<N>;
      for (std::size_t k = 0; k < Y::size(); ++k)
        for (std::size_t g = 0; g < NP::count; ++g)
          NP::get(xbar[k], g) += Op::vjp(NP::get(x[k], g), NP::get(y[k], g), NP::get(ybar[k], g));
    } else {
      for (std::size_t k = 0; k < Y::size(); ++k) xbar[k] += Op::vjp(x[k], y[k], ybar[k]);
    }
  }
  template <class YDot, class XDot, class X, class Y>
  static void jvp(arg_t<0>, YDot ydot, XDot xdot, X x, Y y) {
    for (std::size_t k = 0; k < Y::size(); ++k) ydot[k] += Op::jvp(x[k], y[k], xdot[k]);
  }
};

template <class Op>
  requires std::is_base_of_v<binary_elementwise, Op>
struct rules<Op> {
  // Element k of an operand (element 0 of a broadcast scalar), in the
  // number type both operands share: a parameter (a plain float) meeting a
  // SIMD lane value or a dual number is converted to that type first, so
  // each rule sees one number type.
  template <class A, class B>
  using common_t = detail::common_number_t<std::remove_cvref_t<decltype(std::declval<A>()[0])>,
                                   std::remove_cvref_t<decltype(std::declval<B>()[0])>>;
  template <class C, class V>
  static C at(V v, std::size_t k) {
    return C(v[V::shape::rank == 0 ? 0 : k]);
  }

  // Register by register when the result is made of several registers
  // (math/parts.hpp); a plain operand is broadcast to each register.
  template <class Y>
  using parts_of_result = math::number_parts<detail::number_of<Y>>;
  template <class V>
  static constexpr std::size_t index(std::size_t k) {
    return V::shape::rank == 0 ? 0 : k;
  }

  template <class Y, class A, class B>
  static void value(Y y, A a, B b) {
    using C = common_t<A, B>;
    if constexpr (math::multi_part<detail::number_of<Y>> && std::is_same_v<C, detail::number_of<Y>>) {
      using NP = parts_of_result<Y>;
      using P = typename NP::part_type;
      for (std::size_t k = 0; k < Y::size(); ++k)
        for (std::size_t g = 0; g < NP::count; ++g)
          NP::get(y[k], g) = Op::value(detail::part_at<P>(a, index<A>(k), g), detail::part_at<P>(b, index<B>(k), g));
    } else {
      for (std::size_t k = 0; k < Y::size(); ++k) y[k] = math::apply<Op>(at<C>(a, k), at<C>(b, k));
    }
  }

  // A broadcast operand receives the sum of the adjoints of every element
  // it was broadcast to; an operand of plain numbers (a parameter) the sum
  // over every lane.
  template <std::size_t I, class CBar, class YBar, class A, class B, class Y>
  static void vjp(arg_t<I> i, CBar cbar, YBar ybar, A a, B b, Y y) {
    using C = common_t<A, B>;
    using N = detail::number_of<Y>;
    if constexpr (math::multi_part<N> && std::is_same_v<C, N> && std::is_same_v<N, detail::number_of<YBar>>) {
      using NP = math::number_parts<N>;
      using P = typename NP::part_type;
      auto term = [&](std::size_t k, std::size_t g) {
        return Op::vjp(i, detail::part_at<P>(a, index<A>(k), g), detail::part_at<P>(b, index<B>(k), g),
                       NP::get(y[k], g), NP::get(ybar[k], g));
      };
      if constexpr (math::multi_part<detail::number_of<CBar>>) {
        for (std::size_t k = 0; k < Y::size(); ++k)
          for (std::size_t g = 0; g < NP::count; ++g) NP::get(cbar[index<CBar>(k)], g) += term(k, g);
      } else {
        // Σ over registers (and elements, for a broadcast scalar) in one
        // register, then one sum across its lanes.
        constexpr std::size_t outer = CBar::shape::rank == 0 ? 1 : Y::size();
        constexpr std::size_t inner = CBar::shape::rank == 0 ? Y::size() : 1;
        for (std::size_t o = 0; o < outer; ++o) {
          P total = term(o * inner, 0);
          for (std::size_t g = 1; g < NP::count; ++g) total += term(o * inner, g);
          for (std::size_t e = 1; e < inner; ++e)
            for (std::size_t g = 0; g < NP::count; ++g) total += term(o * inner + e, g);
          typename NP::element_type lanes_total;
          NP::template sum_lanes<1>(&total, &lanes_total);
          cbar[o] += lanes_total;
        }
      }
    } else if constexpr (CBar::shape::rank == 0 && Y::shape::rank != 0) {
      auto total = Op::vjp(i, at<C>(a, 0), at<C>(b, 0), y[0], ybar[0]);
      for (std::size_t k = 1; k < Y::size(); ++k) total += Op::vjp(i, at<C>(a, k), at<C>(b, k), y[k], ybar[k]);
      cbar[0] += total;
    } else {
      for (std::size_t k = 0; k < Y::size(); ++k) cbar[k] += Op::vjp(i, at<C>(a, k), at<C>(b, k), y[k], ybar[k]);
    }
  }

  template <std::size_t I, class YDot, class CDot, class A, class B, class Y>
  static void jvp(arg_t<I> i, YDot ydot, CDot cdot, A a, B b, Y y) {
    using C = common_t<A, B>;
    using D = std::remove_cvref_t<decltype(cdot[0])>;
    for (std::size_t k = 0; k < Y::size(); ++k) ydot[k] += Op::jvp(i, at<C>(a, k), at<C>(b, k), y[k], at<D>(cdot, k));
  }
};

}  // namespace tapeless
