// row<2> of a matrix with 2 rows.
// expect: tapeless: row<I>(A) needs I < the matrix's number of rows
// expect: row_index<2>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto x = input<"x", vec<3>>;
constexpr auto bad = dot(row<2>(W), x);
