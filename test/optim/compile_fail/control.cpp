// The correct uses of the misuse cases below compile.
// expect-compile
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<3>>;
constexpr auto loss = sum(square(w));
void use() {
  params<decltype(loss), float> P;
  auto [L, G] = value_and_grad(loss, P);
  (void)L;
  sgd<decltype(P)> s({.lr = 0.1, .momentum = 0.9, .nesterov = true});
  adam<decltype(P)> a;
  adamw<decltype(P)> aw;
  const float norm = clip_by_global_norm(G, 1.0);
  (void)norm;
  s.step(P, G);
  a.step(P, G);
  aw.step(P, G);
}
