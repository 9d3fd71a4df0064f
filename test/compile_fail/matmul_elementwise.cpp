// Two matrices of one shape multiplied with *, meant elementwise: mat<2, 3> * mat<2, 3>.
// expect: tapeless: A * B of two matrices is the matrix product
// expect: for the elementwise product write hadamard(A, B)
// expect: param_t<name<'A'>, mat<2, 3>>
// expect: input_t<name<'B'>, mat<2, 3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto A = param<"A", mat<2, 3>>;
constexpr auto B = input<"B", mat<2, 3>>;
constexpr auto bad = A * B;
