// A slice past the end, used further on: slice<4, 3> of a vec<6>.
// expect: tapeless: slice<Begin, Count>(v) needs Begin + Count <= the vector's size
// expect: slice_range<4, 3>
// expect: input_t<name<'x'>, vec<6>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<6>>;
constexpr auto bad = sum(tanh(slice<4, 3>(x))) * at<0>(x);
