// Data whose size is in its type and differs from the input's: 3 numbers for a vec<2>.
// expect: tapeless: bind<name>(data): the data holds a different number of values than the input's shape
// expect: input_t<name<'x'>, vec<2>>
// expect: std::array<double, 3>
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto w = param<"w", vec<2>>;
constexpr auto f = dot(w, x);
void use() {
  params<decltype(f), double> P;
  const std::array<double, 3> xv{1, 2, 3};
  (void)value(f, P, bind<"x">(xv));
}
