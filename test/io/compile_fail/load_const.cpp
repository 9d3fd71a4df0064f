// Loading into a const buffer.
// expect: tapeless::load(P, path) needs a non-const buffer to load into
// expect-errors: 1
#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<2>>;
void use() {
  const params<decltype(w), double> P;
  load(P, "p.tpl");
}
