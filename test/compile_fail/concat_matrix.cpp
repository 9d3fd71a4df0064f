// concat of a vector and a matrix.
// expect: tapeless: concat(a, b, ...) needs vectors or scalars
// expect: input_t<name<'x'>, vec<3>>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect: unnamed<scalar>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto bad = sum(concat(x, W, sum(x)));
