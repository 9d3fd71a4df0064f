// at<1, 3> of a mat<2, 3>: the column is out of range.
// expect: tapeless: at<I, J>(A) needs I < the matrix's rows and J < its columns
// expect: element_index<1, 3>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto bad = at<1, 3>(W);
