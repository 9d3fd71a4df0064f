// The same input bound twice.
// expect: tapeless: an input is bound more than once
// expect: input_t<name<'x'>, vec<2>>
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto w = param<"w", vec<2>>;
constexpr auto f = dot(w, x);
void use() {
  params<decltype(f), double> P;
  const std::array<double, 2> xv{1, 2};
  (void)value(f, P, bind<"x">(xv), bind<"x">(xv));
}
