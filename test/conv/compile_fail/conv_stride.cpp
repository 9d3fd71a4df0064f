// Stride 2 with a 3x3 kernel on 6x6: 6 - 3 = 3 is odd, the last column
// would be dropped.
// expect: tapeless: conv2d<K, S, P>(W, x): the stride S does not divide H + 2P - K or W + 2P - K
// expect: conv2d_settings<3, 2, 0>
// expect: image<1, 6, 6>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", image<1, 6, 6>>;
constexpr auto net = nn::conv2d<"c1", 4, 3, 2> | nn::relu | nn::max_pool<1> | nn::flatten;
constexpr auto bad = sum(x | net);
