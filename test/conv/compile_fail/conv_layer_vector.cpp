// A convolution layer applied to a vector.
// expect: tapeless: nn::conv2d<name, out, kernel, stride, padding>(x) needs an image x (image<C, H, W>)
// expect: conv2d_needs_an_image_input<vec<16>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<16>>;
constexpr auto bad = x | nn::conv2d<"c1", 4, 3> | nn::relu | nn::max_pool<2>;
