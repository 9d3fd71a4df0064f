// A vector on the left of a matrix: vectors are columns, so vec * mat is undefined.
// expect: tapeless: vector * matrix is not defined (vectors are columns); write transpose(W) * v
// expect: input_t<name<'x'>, vec<2>>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto x = input<"x", vec<2>>;
constexpr auto bad = x * W;
