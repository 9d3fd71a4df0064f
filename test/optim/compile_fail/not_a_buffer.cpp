// An optimizer over something that is not a parameter buffer.
// expect: tapeless::adamw<Buffer> requires a parameter buffer type: params<Expr, E>
// expect-errors: 1
#include <vector>
#include <tapeless/optim/optim.hpp>
using namespace tapeless;
void use() {
  adamw<std::vector<double>> opt;
  (void)opt;
}
