// Clipping a gradient that cannot be changed.
// expect: tapeless::clip_by_global_norm(G, max_norm) requires G to be a non-const gradient buffer
// expect-errors: 1
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<3>>;
void use() {
  const params<decltype(w), double> G;
  clip_by_global_norm(G, 1.0);
}
