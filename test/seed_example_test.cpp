// The seed's worked example: a 2-2-1 ReLU network with half squared error,
// every number exact, in float and in double.

#include <array>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

namespace {
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y", scalar>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;

constexpr auto z1 = W1 * x + b1;
constexpr auto h = relu(z1);
constexpr auto yhat = dot(w2, h) + b2;
constexpr auto loss = 0.5_c * square(yhat - y);
}  // namespace

TEST_CASE_TEMPLATE("the seed's two-layer example, exactly", T, float, double) {
  params<decltype(loss), T> P;
  P.template get<"W1">() = {{1, -1}, {0.5, 2}};
  P.template get<"b1">() = {0, -1};
  P.template get<"w2">() = {1, -2};
  P.template get<"b2">() = T(0.5);
  const std::array<T, 2> xv{2, -1};
  const T target = 1;

  SUBCASE("forward pass") {
    const auto z = value(z1, P, bind<"x">(xv));
    CHECK(z[0] == T(3));
    CHECK(z[1] == T(-2));
    const auto hv = value(h, P, bind<"x">(xv));
    CHECK(hv[0] == T(3));
    CHECK(hv[1] == T(0));
    CHECK(value(yhat, P, bind<"x">(xv)) == T(3.5));
    CHECK(value(loss, P, bind<"x">(xv), bind<"y">(target)) == T(25) / T(8));
  }

  SUBCASE("backward pass") {
    auto [L, dP] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(target));
    CHECK(L == T(3.125));
    CHECK(dP.template get<"b2">() == T(2.5));
    const auto dw2 = dP.template get<"w2">();
    CHECK(dw2[0] == T(7.5));
    CHECK(dw2[1] == T(0));
    const auto db1 = dP.template get<"b1">();
    CHECK(db1[0] == T(2.5));
    CHECK(db1[1] == T(0));
    const auto dW1 = dP.template get<"W1">();
    CHECK(dW1(0, 0) == T(5));
    CHECK(dW1(0, 1) == T(-2.5));
    CHECK(dW1(1, 0) == T(0));
    CHECK(dW1(1, 1) == T(0));
  }

  SUBCASE("the intermediate adjoints: dL/dh and dL/dz1") {
    // Treat h and z1 as inputs of the upper part of the network and ask for
    // the gradient with respect to them.
    constexpr auto hin = input<"h", vec<2>>;
    constexpr auto upper = 0.5_c * square(dot(w2, hin) + b2 - y);
    const std::array<T, 2> hv{3, 0};
    const auto dh = value_and_grad(upper, P, wrt_inputs, bind<"h">(hv), bind<"y">(target)).input_grad;
    CHECK(dh.template get<"h">()[0] == T(2.5));
    CHECK(dh.template get<"h">()[1] == T(-5));

    constexpr auto zin = input<"z", vec<2>>;
    constexpr auto from_z = 0.5_c * square(dot(w2, relu(zin)) + b2 - y);
    const std::array<T, 2> zv{3, -2};
    const auto dz = value_and_grad(from_z, P, wrt_inputs, bind<"z">(zv), bind<"y">(target)).input_grad;
    CHECK(dz.template get<"z">()[0] == T(2.5));
    CHECK(dz.template get<"z">()[1] == T(0));
  }

  SUBCASE("the same expression reused at new inputs") {
    const std::array<T, 2> x2{1, 1};
    auto [L2, dP2] = value_and_grad(loss, P, bind<"x">(x2), bind<"y">(T(0)));
    // z1 = (0, 1.5), h = (0, 1.5), yhat = -3 + 0.5 = -2.5, L = 3.125.
    CHECK(L2 == T(3.125));
    CHECK(dP2.template get<"b2">() == T(-2.5));
    auto [L1, dP1] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(target));
    CHECK(L1 == T(3.125));
    CHECK(dP1.template get<"b2">() == T(2.5));
  }
}
