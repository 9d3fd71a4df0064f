// A plain int on the left of an expression: 1 - x.
// expect: tapeless: a plain number in an expression
// expect: int
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", scalar>;
constexpr auto bad = square(1 - x);
