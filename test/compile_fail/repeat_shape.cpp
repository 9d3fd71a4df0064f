// A loop body whose value does not have the carried value's shape: the one
// message names the op and both shapes.
// expect: repeat_body_must_return_the_carried_shape<tapeless::vec<2>, tapeless::vec<3>
// expect: the body and init must have h's shape
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto h = input<"h", vec<3>>;
constexpr auto body = param<"W", mat<2, 3>> * h;
constexpr auto f = sum(repeat<4, "block">(body, h, input<"x", vec<3>>));
