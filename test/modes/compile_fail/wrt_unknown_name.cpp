// A Jacobian with respect to a name the expression does not have.
// expect: tapeless: wrt<name>: the expression has no input or parameter of that name
// expect: name<'z'>
// expect-errors: 1
#include <array>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto f = tanh(param<"W", mat<2, 3>> * x);
void use() {
  params<decltype(f), double> P;
  const std::array<double, 3> xv{1, 2, 3};
  (void)jacobian(f, P, wrt<"z">, bind<"x">(xv));
}
