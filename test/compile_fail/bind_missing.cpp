// An input left unbound: the expression needs "y" but only "x" is bound.
// expect: tapeless: an input of the expression has no binding; pass bind<name>(data) for it
// expect: input_t<name<'y'>, scalar>
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y", scalar>;
constexpr auto w = param<"w", vec<2>>;
constexpr auto f = dot(w, x) - y;
void use() {
  params<decltype(f), double> P;
  const std::array<double, 2> xv{1, 2};
  (void)value(f, P, bind<"x">(xv));
}
