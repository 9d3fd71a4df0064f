// Filters for 2 input channels applied to an image with 3: mat<4, 18> is
// 4 filters of 2·3·3, x has 3 channels (needs 27 columns).
// expect: tapeless: conv2d<K, S, P>(W, x): channel mismatch, W needs (channels of x) * K * K columns
// expect: conv2d_settings<3, 1, 0>
// expect: param_t<name<'W'>, mat<4, 18>>
// expect: input_t<name<'x'>, image<3, 5, 5>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<4, 18>>;
constexpr auto x = input<"x", image<3, 5, 5>>;
constexpr auto bad = relu(conv2d<3>(W, x));
