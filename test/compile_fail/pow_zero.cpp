// pow with the exponent 0: the result is the constant 1, said once.
// expect: tapeless: pow(x, 0_c) is the constant 1: write 1_c
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = sum(pow(x, 0_c));
