// A loop body that reads an input other than its carried value: the one
// message names the op, the other input and the carried one.
// expect: repeat_body_reads_other_inputs<
// expect: the body must read h and no other input
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto h = input<"h", vec<3>>;
constexpr auto body = h + input<"u", vec<3>> * param<"a">;
constexpr auto f = sum(repeat<4, "block">(body, h, input<"x", vec<3>>));
