// reshape to a shape with another number of elements: vec<6> to mat<2, 2>.
// expect: tapeless: reshape<Shape>(x) needs Shape to have as many elements as x
// expect: reshape_to<mat<2, 2>>
// expect: input_t<name<'x'>, vec<6>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<6>>;
constexpr auto bad = reshape<mat<2, 2>>(x) * x;
