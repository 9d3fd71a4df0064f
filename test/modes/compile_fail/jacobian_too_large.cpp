// A Jacobian whose stack workspace and result would pass 4 MiB.
// expect: tapeless: this call's workspace and result (bytes above) would take more stack than TAPELESS_JACOBIAN_STACK_LIMIT
// expect-errors: 1
#include <array>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<1024>>;
constexpr auto f = tanh(param<"W", mat<1024, 1024>> * x);
void use() {
  static params<decltype(f), double> P;
  static std::array<double, 1024> xv{};
  (void)jacobian(f, P, wrt<"x">, bind<"x">(xv));
}
