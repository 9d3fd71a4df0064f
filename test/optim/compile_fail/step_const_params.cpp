// Parameters that cannot be updated.
// expect: tapeless::adam::step(P, G) requires P (non-const) and G of the optimizer's buffer type
// expect-errors: 1
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<3>>;
void use() {
  const params<decltype(w), double> P;
  params<decltype(w), double> G;
  adam<params<decltype(w), double>> opt;
  opt.step(P, G);
}
