// 2x2 max pooling of a 5x4 image: 5 - 2 = 3 rows left, not a multiple of 2.
// expect: tapeless: max_pool2d<K, S>(x): the stride S does not divide H - K or W - K
// expect: pool2d_settings<2, 2>
// expect: input_t<name<'x'>, image<3, 5, 4>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", image<3, 5, 4>>;
constexpr auto bad = flatten(max_pool2d<2>(x));
