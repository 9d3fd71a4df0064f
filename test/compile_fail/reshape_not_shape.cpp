// reshape to a type that is not a shape.
// expect: tapeless: reshape<Shape>(x) needs a shape: scalar, vec<N>, mat<M, N> or image<C, H, W>
// expect: reshape_to<int>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<6>>;
constexpr auto bad = reshape<int>(x);
