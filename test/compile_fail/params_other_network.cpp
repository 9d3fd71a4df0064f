// The parameter buffer of a different network: P holds "v", the loss uses "w".
// expect: tapeless: the parameter buffer passed does not hold a parameter the expression uses
// expect: param_t<name<'w'>, vec<2>>
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto w = param<"w", vec<2>>;
constexpr auto v = param<"v", vec<2>>;
constexpr auto loss = dot(w, x);
constexpr auto other = dot(v, x);
void use() {
  params<decltype(other), double> P;
  const std::array<double, 2> xv{1, 2};
  (void)value_and_grad(loss, P, bind<"x">(xv));
}
