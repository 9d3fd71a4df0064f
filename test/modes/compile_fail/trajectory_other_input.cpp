// A step that reads an input other than the state and the control.
// expect: tapeless: trajectory: the step and costs may read only the state and the control inputs
// expect: name<'d'>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto s = input<"s", vec<2>>;
constexpr auto u = input<"u", vec<1>>;
constexpr auto d = input<"d", vec<2>>;
constexpr auto problem = trajectory(param<"A", mat<2, 2>> * s + param<"B", mat<2, 1>> * u + d, dot(s, s));
void use() { (void)problem.buffer_size(3); }
