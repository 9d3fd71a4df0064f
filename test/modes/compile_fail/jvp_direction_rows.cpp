// Directions with 5 rows for a wrt vector of 3 entries.
// expect: tapeless: jvp(f, P, wrt<...>, D, ...): D must be an n x K matrix
// expect: directions_need_one_row_per_wrt_entry<5, 3>
// expect-errors: 1
#include <array>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto f = tanh(param<"W", mat<2, 3>> * x);
void use() {
  params<decltype(f), double> P;
  const std::array<double, 3> xv{1, 2, 3};
  (void)jvp(f, P, wrt<"x">, tensor<double, mat<5, 2>>{}, bind<"x">(xv));
}
