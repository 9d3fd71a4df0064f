// Adding vectors of different lengths: vec<2> + vec<3>.
// expect: tapeless: a + b needs operands of the same shape, or one scalar operand
// expect: input_t<name<'a'>, vec<2>>
// expect: param_t<name<'b'>, vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto a = input<"a", vec<2>>;
constexpr auto b = param<"b", vec<3>>;
constexpr auto bad = a + b;
