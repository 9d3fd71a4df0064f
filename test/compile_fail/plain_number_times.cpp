// A plain double in an expression: x * 0.5.
// expect: tapeless: a plain number in an expression
// expect: write a compile-time constant such as 0.5_c
// expect: double
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = sum(x * 0.5);
