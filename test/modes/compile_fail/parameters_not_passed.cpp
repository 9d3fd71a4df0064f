// Leaving out the parameter buffer of an expression that has parameters
// (they would all silently be zero).
// expect: tapeless: the expression has parameters (listed above): pass the parameter buffer
// expect: name<'W'>
// expect-errors: 1
#include <array>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto f = tanh(param<"W", mat<2, 3>> * x);
void use() {
  const std::array<double, 3> xv{1, 2, 3};
  (void)jacobian(f, wrt<"x">, bind<"x">(xv));
}
