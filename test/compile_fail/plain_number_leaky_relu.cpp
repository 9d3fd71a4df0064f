// leaky_relu with a plain double slope.
// expect: tapeless: leaky_relu(x, slope) needs the slope as a compile-time constant: write 0.01_c, not 0.01
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = sum(leaky_relu(x, 0.01));
