// at<I> with one index on a matrix.
// expect: tapeless: at<I>(v) needs a vector v (for a matrix, write at<I, J>(A))
// expect: element_index<1>
// expect: param_t<name<'W'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 3>>;
constexpr auto bad = at<1>(W);
