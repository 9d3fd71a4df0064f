// at<3> of a vec<3>.
// expect: tapeless: at<I>(v) needs I < the vector's size
// expect: element_index<3>
// expect: input_t<name<'x'>, vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = square(at<3>(x));
