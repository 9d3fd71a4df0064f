// hvp with neither a parameter direction nor an input tangent: H times nothing.
// expect: tapeless: hvp(f, P, ...) needs a direction
// expect-errors: 1
#include <array>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto g = sum(square(tanh(param<"W", mat<2, 3>> * x)));
void use() {
  params<decltype(g), double> P;
  const std::array<double, 3> xv{1, 2, 3};
  (void)hvp(g, P, bind<"x">(xv));
}
