// A long double buffer: the file format holds float32 or float64 only.
// expect: tapeless::save(P, path) requires a buffer of float or double
// expect-errors: 1
#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<2>>;
void use() {
  params<decltype(w), long double> P;
  save(P, "p.tpl");
}
