// row of a vector.
// expect: tapeless: row<I>(A) needs a matrix A
// expect: row_index<0>
// expect: input_t<name<'x'>, vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = row<0>(x);
