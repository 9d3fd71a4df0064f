// initialize() with a number where a scheme belongs (constant(c) was meant).
// expect: tapeless::init::initialize(P, scheme, seed) requires a scheme callable as scheme(std::span<E>, init::fan, init::rng&)
// expect-errors: 1
#include <tapeless/init/init.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 2>>;
constexpr auto f = sum(W * input<"x", vec<2>>);
void use() {
  params<decltype(f)> P;
  init::initialize(P, 0.5, 1);
}
