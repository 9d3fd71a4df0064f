// initialize() on a const parameter buffer.
// expect: tapeless::init::initialize(P, scheme, seed) requires P to be a mutable parameter buffer
// expect-errors: 1
#include <tapeless/init/init.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 2>>;
constexpr auto f = sum(W * input<"x", vec<2>>);
void use() {
  const params<decltype(f)> P{};
  init::initialize(P, init::he_normal, 1);
}
