// Two matrices whose inner dimensions differ: mat<2, 3> * mat<4, 5>.
// expect: tapeless: matrix * matrix needs the left matrix to have as many columns as the right one has rows
// expect: param_t<name<'A'>, mat<2, 3>>
// expect: input_t<name<'B'>, mat<4, 5>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto A = param<"A", mat<2, 3>>;
constexpr auto B = input<"B", mat<4, 5>>;
constexpr auto bad = A * B;
