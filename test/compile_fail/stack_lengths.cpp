// stack of vectors of different lengths.
// expect: tapeless: stack(a, b, ...) needs vectors of the same length
// expect: input_t<name<'a'>, vec<3>>
// expect: input_t<name<'b'>, vec<2>>
// expect: unnamed<vec<3>>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto a = input<"a", vec<3>>;
constexpr auto b = input<"b", vec<2>>;
constexpr auto bad = transpose(stack(a, b, tanh(a)));
