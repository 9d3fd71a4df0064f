// pow with a plain int exponent.
// expect: tapeless: pow(x, p) needs the exponent as a compile-time constant: write 3_c or 1.5_c, not 3 or 1.5
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = sum(pow(x, 3));
