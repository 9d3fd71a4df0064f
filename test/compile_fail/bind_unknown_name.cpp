// Binding a name the expression has no input for: bind<"z"> when only "x" exists.
// expect: tapeless: bind<name>(...): the expression has no input of that name
// expect: name<'z'>
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
  (void)value(f, P, bind<"x">(xv), bind<"z">(xv));
}
