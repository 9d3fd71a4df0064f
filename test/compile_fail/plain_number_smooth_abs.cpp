// smooth_abs with a plain double epsilon.
// expect: tapeless: smooth_abs(x, eps) needs eps as a compile-time constant: write 1e-3_c, not 1e-3
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = sum(smooth_abs(x, 1e-3));
