// The same mismatch with a computed (non-leaf) left operand: relu(vec<2>) + vec<3>.
// expect: tapeless: a + b needs operands of the same shape, or one scalar operand
// expect: vec<2>
// expect: param_t<name<'b'>, vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto a = input<"a", vec<2>>;
constexpr auto b = param<"b", vec<3>>;
constexpr auto bad = relu(a) + b;
