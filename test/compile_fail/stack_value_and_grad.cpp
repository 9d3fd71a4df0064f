// value_and_grad of a dense 2048 x 2048 float network: the returned
// gradient alone is 16 MiB, far above TAPELESS_STACK_LIMIT. Refused with
// the bytes and the limit as template arguments, and the alternative.
// expect: stack_bytes_over_limit<16933264, 262144>
// expect: keep a sample_engine<decltype(f), decltype(P)>
// expect: engine.value_and_grad_into(P, G, ...)
// expect-errors: 1
#include <array>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2048>>;
constexpr auto loss =
    nn::softmax_cross_entropy(x | nn::dense<"fc1", 2048> | nn::relu | nn::dense<"out", 10>, input<"y", vec<10>>);
float use(const params<decltype(loss), float>& P, const std::array<float, 2048>& xv,
          const std::array<float, 10>& yv) {
  return value_and_grad(loss, P, bind<"x">(xv), bind<"y">(yv)).value;
}
