// A bias of 3 entries for a 4-channel convolution.
// expect: tapeless: add_channel_bias(y, b) needs an image y and a vector b with one entry per channel of y
// expect: unnamed<image<4, 3, 3>>
// expect: param_t<name<'b'>, vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<4, 9>>;
constexpr auto b = param<"b", vec<3>>;
constexpr auto x = input<"x", image<1, 5, 5>>;
constexpr auto bad = conv2d<3>(W, x, b);
