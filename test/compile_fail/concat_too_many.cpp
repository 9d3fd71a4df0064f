// concat of nine operands (max_op_args is 8).
// expect: tapeless: concat(a, b, ...) takes at most 8 operands (max_op_args); concat the first ones, then that with the rest
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2>>;
constexpr auto bad = concat(x, x, x, x, x, x, x, x, x);
