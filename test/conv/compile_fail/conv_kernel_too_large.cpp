// A 5x5 kernel on an unpadded 3x3 image: the window does not fit.
// expect: tapeless: conv2d<K, S, P>(W, x): the kernel K is larger than the padded input (H + 2P or W + 2P)
// expect: conv2d_settings<5, 1, 0>
// expect: input_t<name<'x'>, image<1, 3, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 25>>;
constexpr auto x = input<"x", image<1, 3, 3>>;
constexpr auto bad = sum(conv2d<5>(W, x));
