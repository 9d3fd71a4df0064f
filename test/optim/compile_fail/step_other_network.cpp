// A gradient of another network.
// expect: tapeless::sgd::step(P, G) requires P (non-const) and G of the optimizer's buffer type
// expect-errors: 1
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<3>>;
constexpr auto v = param<"v", vec<3>>;
void use() {
  params<decltype(w), double> P;
  params<decltype(v), double> G;
  sgd<decltype(P)> opt({.lr = 0.1});
  opt.step(P, G);
}
