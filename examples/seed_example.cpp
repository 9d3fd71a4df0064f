// The seed's worked example: a 2-2-1 ReLU network, one sample, half squared
// error. Prints the forward values and every parameter gradient.

#include <array>
#include <iostream>

#include <tapeless/tapeless.hpp>

int main() {
  using namespace tapeless;
  constexpr auto x = input<"x", vec<2>>;
  constexpr auto y = input<"y", scalar>;
  constexpr auto W1 = param<"W1", mat<2, 2>>;
  constexpr auto b1 = param<"b1", vec<2>>;
  constexpr auto w2 = param<"w2", vec<2>>;
  constexpr auto b2 = param<"b2", scalar>;

  constexpr auto z1 = W1 * x + b1;
  constexpr auto h = relu(z1);
  constexpr auto yhat = dot(w2, h) + b2;
  constexpr auto loss = 0.5_c * square(yhat - y);

  params<decltype(loss), double> P;
  P.get<"W1">() = {{1, -1}, {0.5, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5;
  const std::array<double, 2> xv{2, -1};
  const double target = 1;

  std::cout << "z1 = " << value(z1, P, bind<"x">(xv)) << '\n';
  std::cout << "h = " << value(h, P, bind<"x">(xv)) << '\n';
  std::cout << "yhat = " << to_string(value(yhat, P, bind<"x">(xv))) << '\n';

  const auto [L, dP] = value_and_grad(loss, P, check_finite, bind<"x">(xv), bind<"y">(target));
  std::cout << "loss = " << to_string(L) << '\n';
  std::cout << "dL/dW1 = " << dP.get<"W1">() << '\n';
  std::cout << "dL/db1 = " << dP.get<"b1">() << '\n';
  std::cout << "dL/dw2 = " << dP.get<"w2">() << '\n';
  std::cout << "dL/db2 = " << to_string(dP.get<"b2">()) << '\n';
}
