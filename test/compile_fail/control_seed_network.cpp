// Control: the seed's 2-2-1 network used correctly must compile, so a
// failure of the other cases is due to their mistake, not to the harness.
// expect-compile
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y", scalar>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto yhat = dot(w2, relu(W1 * x + b1)) + b2;
constexpr auto loss = 0.5_c * square(yhat - y);
double use() {
  params<decltype(loss), double> P;
  const std::array<double, 2> xv{2, -1};
  const double L = value(loss, P, bind<"x">(xv), bind<"y">(1.0));
  auto [L2, dP] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(1.0));
  return L + L2 + dP.get<"b2">();
}
