// The consumer's second translation unit: with consumer.cpp, the program
// includes tapeless twice, so a function or variable defined in a header
// without `inline` fails the link with a duplicate symbol.

#include <array>
#include <cstdio>

#include <tapeless/tapeless.hpp>

bool dot_product_gradient_ok() {
  using namespace tapeless;
  constexpr auto f = dot(param<"w", vec<3>>, input<"x", vec<3>>);

  params<decltype(f), double> P;
  P.get<"w">() = {1, 2, 3};
  const std::array<double, 3> xv{4, -5, 6};
  const auto [value, dP] = value_and_grad(f, P, bind<"x">(xv));
  // d(w . x)/dw = x
  const auto& dw = dP.get<"w">();
  const bool ok = value == 12 && dw[0] == 4 && dw[1] == -5 && dw[2] == 6;
  std::printf("consumer: w . x = %g, d/dw = (%g, %g, %g): %s\n", value, dw[0], dw[1], dw[2], ok ? "ok" : "WRONG");
  return ok;
}
