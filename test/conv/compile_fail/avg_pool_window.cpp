// A 3x3 average window on a 2x4 image.
// expect: tapeless: avg_pool2d<K, S>(x): the window K is larger than x's height or width
// expect: pool2d_settings<3, 1>
// expect: image<1, 2, 4>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", image<1, 2, 4>>;
constexpr auto bad = x | nn::avg_pool<3, 1> | nn::flatten;
