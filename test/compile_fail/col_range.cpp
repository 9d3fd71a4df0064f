// col<3> of a matrix with 3 columns.
// expect: tapeless: col<J>(A) needs J < the matrix's number of columns
// expect: col_index<3>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto bad = col<3>(W) + 1_c;
