// A matrix times a vector of the wrong length: mat<2, 3> * vec<2>.
// expect: tapeless: matrix * vector needs a matrix with as many columns as the vector has entries
// expect: param_t<name<'W'>, mat<2, 3>>
// expect: input_t<name<'x'>, vec<2>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto x = input<"x", vec<2>>;
constexpr auto bad = W * x;
