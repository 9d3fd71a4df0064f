// An empty slice of a computed vector: slice<1, 0>(tanh(x)).
// expect: tapeless: slice<Begin, Count>(v) needs Count >= 1 (there is no vec<0>)
// expect: slice_range<1, 0>
// expect: unnamed<vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = slice<1, 0>(tanh(x));
