// value_and_grad of a vector-valued expression (W * x is a vec<3>).
// expect: tapeless: value_and_grad(f, ...) needs a scalar f (so do hvp and hessian); for a vector-valued f use vjp(f, P, cotangent, ...), jvp or jacobian
// expect: vec<3>
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto W = param<"W", mat<3, 2>>;
constexpr auto f = W * x;
void use() {
  params<decltype(f), double> P;
  const std::array<double, 2> xv{1, 2};
  (void)value_and_grad(f, P, bind<"x">(xv));
}
