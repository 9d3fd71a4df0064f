// slice of a matrix (slice is for vectors: row, col or flatten first).
// expect: tapeless: slice<Begin, Count>(v) needs a vector v
// expect: slice_range<0, 2>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto bad = slice<0, 2>(W);
