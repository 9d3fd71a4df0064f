// The correct calls compile.
// expect-compile
#include <tapeless/init/init.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto W = param<"W", mat<2, 2>>;
constexpr auto f = sum(W * input<"x", vec<2>>);
void use() {
  params<decltype(f), float> P;
  init::initialize(P, init::he_normal, 1);
  init::initialize(P, init::constant(0.5), 1);
  init::rng g(1);
  init::glorot_uniform(P.get<"W">(), g);
}
