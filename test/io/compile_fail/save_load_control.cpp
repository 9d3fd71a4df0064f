// Control: the same calls on float and double buffers compile.
// expect-compile
#include <sstream>
#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto w = param<"w", vec<2>>;
void use() {
  params<decltype(w), float> P;
  params<decltype(w), double> Q;
  save(P, "p.tpl");
  load(Q, "q.tpl");
  std::stringstream s;
  save(Q, s);
  load(P, s);
}
