// Slicing, indexing, joining and reshaping: slice, row, col, at, concat,
// stack, reshape. Each op's laws at its first, middle and last positions;
// an op's rules take the position as a template argument and are the same
// code at every one, so the laws in float, over parameters and on lanes
// run at one position (an LSTM-style gate split, through parameters and on
// the batch engine, is in slicing_gates_test.cpp).

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "fixtures.hpp"
#include "laws.hpp"

using namespace tapeless;

namespace {

constexpr auto x = input<"x", vec<6>>;
constexpr auto A = input<"A", mat<3, 4>>;
constexpr auto a = input<"a", vec<3>>;
constexpr auto b = input<"b", vec<2>>;
constexpr auto s = input<"s">;

// References for an expression of one input: `count` numbers of its
// storage from `begin`, `stride` apart (a slice, a row, a column, one
// element).
auto part(std::size_t begin, std::size_t count, std::size_t stride = 1) {
  return [=](const auto& X) {
    std::vector<double> out;
    for (std::size_t k = 0; k < count; ++k) out.push_back(X.data()[begin + k * stride]);
    return out;
  };
}

// Input `Name` of X as a list of numbers.
template <fixed_string Name, class Inputs>
std::vector<double> get(const Inputs& X) {
  return laws::flat(X.template get<Name>());
}

// The references' helpers are unused in the batch group of laws, which
// evaluates no reference.
[[maybe_unused]] std::vector<double> tanh_of(std::vector<double> v) {
  for (double& e : v) e = std::tanh(e);
  return v;
}

[[maybe_unused]] std::vector<double> joined(std::initializer_list<std::vector<double>> pieces) {
  std::vector<double> out;
  for (const auto& p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

constexpr auto other_position = laws::scope::double_inputs;

}  // namespace

TEST_CASE("slice: the whole vector (Begin = 0), the middle, the last element") {
  static_assert(std::is_same_v<decltype(slice<2, 3>(x))::shape, vec<3>>);
  laws::check<other_position>(slice<0, 6>(x), part(0, 6));
  laws::check(slice<2, 3>(x), part(2, 3));
  laws::check<other_position>(slice<5, 1>(x), part(5, 1));
}

TEST_CASE("row and col of a matrix") {
  static_assert(std::is_same_v<decltype(row<1>(A))::shape, vec<4>>);
  static_assert(std::is_same_v<decltype(col<1>(A))::shape, vec<3>>);
  laws::check<other_position>(row<0>(A), part(0, 4));
  laws::check(row<2>(A), part(8, 4));
  laws::check(col<1>(A), part(1, 3, 4));
  laws::check<other_position>(col<3>(A), part(3, 3, 4));
}

TEST_CASE("at: one element of a vector or a matrix") {
  static_assert(std::is_same_v<decltype(at<4>(x))::shape, scalar>);
  static_assert(std::is_same_v<decltype(at<1, 2>(A))::shape, scalar>);
  // One op, at the element's storage position.
  static_assert(std::is_same_v<decltype(at<1, 2>(A)), expr<op_node<at_op<6>, scalar, 0>, input_t<name<'A'>, mat<3, 4>>>>);
  laws::check<other_position>(at<0>(x), part(0, 1));
  laws::check(at<5>(x), part(5, 1));
  laws::check(at<1, 2>(A), part(6, 1));
}

TEST_CASE("concat: vectors, scalars and constants as pieces; an operand twice") {
  static_assert(std::is_same_v<decltype(concat(a, b))::shape, vec<5>>);

  // s twice: its adjoint is the sum of both pieces' adjoints.
  constexpr auto scalars = concat(s, a, s, b);
  static_assert(std::is_same_v<decltype(scalars)::shape, vec<7>>);
  static_assert(decltype(scalars)::size == 4);  // s, a, b, concat: s is one node
  laws::check(scalars, [](const auto& X) {
    return joined({get<"s">(X), get<"a">(X), get<"s">(X), get<"b">(X)});
  });

  // A constant piece (no slot, no adjoint) and a computed one.
  constexpr auto mixed = concat(b, 2_c, tanh(a));
  static_assert(std::is_same_v<decltype(mixed)::shape, vec<6>>);
  laws::check(mixed, [](const auto& X) {
    return joined({get<"b">(X), {2.0}, tanh_of(get<"a">(X))});
  });

  // max_op_args pieces; the list holds each distinct node once.
  constexpr auto eight = concat(a, b, s, tanh(a), b, s, a, exp(s));
  static_assert(std::is_same_v<decltype(eight)::shape, vec<16>>);
  static_assert(decltype(eight)::size == 6);  // a, b, s, tanh(a), exp(s), concat
  laws::check(eight, [](const auto& X) {
    const auto av = get<"a">(X), bv = get<"b">(X), sv = get<"s">(X);
    return joined({av, bv, sv, tanh_of(av), bv, sv, av, {std::exp(sv[0])}});
  });
}

TEST_CASE("stack: vectors as the rows of a matrix") {
  constexpr auto c = input<"c", vec<3>>;
  constexpr auto two = stack(a, c);
  static_assert(std::is_same_v<decltype(two)::shape, mat<2, 3>>);
  laws::check(two, [](const auto& X) { return joined({get<"a">(X), get<"c">(X)}); });

  constexpr auto three = stack(c, tanh(a), a);
  static_assert(std::is_same_v<decltype(three)::shape, mat<3, 3>>);
  laws::check(three, [](const auto& X) {
    return joined({get<"c">(X), tanh_of(get<"a">(X)), get<"a">(X)});
  });
}

TEST_CASE("reshape: the same elements in storage order") {
  static_assert(std::is_same_v<decltype(reshape<mat<2, 3>>(x))::shape, mat<2, 3>>);
  laws::check(reshape<mat<2, 3>>(x), part(0, 6));
  laws::check(reshape<image<2, 2, 3>>(A), part(0, 12));
  static_assert(std::is_same_v<decltype(reshape<scalar>(slice<4, 1>(x)))::shape, scalar>);
  // To a vector it is flatten (the same node); to its own shape, the operand.
  static_assert(std::is_same_v<decltype(reshape<vec<12>>(A)), decltype(flatten(A))>);
  static_assert(std::is_same_v<decltype(reshape<mat<3, 4>>(A)), std::remove_const_t<decltype(A)>>);
  // Through a matrix op: reshape, then transpose.
  const auto xv = fixtures::random_array<6>(3);
  const auto t = value(transpose(reshape<mat<2, 3>>(x)), bind<"x">(xv));
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK(t(j, i) == xv[i * 3 + j]);
}
