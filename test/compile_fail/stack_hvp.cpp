// hvp of a 256-wide dense network in double: the dual-number sweeps and
// the result (gradient and H v over 66k parameters) pass
// TAPELESS_STACK_LIMIT. Refused with the bytes and the limit as template
// arguments, and what to do instead.
// expect: stack_bytes_over_limit<
// expect: hvp has no engine form yet
// expect-errors: 1
#include <array>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<256>>;
constexpr auto loss = sum(square(x | nn::dense<"fc1", 256> | nn::tanh | nn::dense<"out", 1>));
double use(const params<decltype(loss), double>& P, const params<decltype(loss), double>& V,
           const std::array<double, 256>& xv) {
  return hvp(loss, P, V, bind<"x">(xv)).value;
}
