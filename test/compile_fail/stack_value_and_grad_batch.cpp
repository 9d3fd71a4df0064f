// value_and_grad_batch puts a batch_engine and the gradient on the stack:
// refused above TAPELESS_STACK_LIMIT, here lowered to 64 KiB, when even an
// engine of one register per number does not fit (the gradient alone,
// 19 k floats, takes more).
// expect: stack_bytes_over_limit<
// expect: , 65536>
// expect: keep a batch_engine<decltype(loss), decltype(P)> on the heap (std::make_unique, once)
// expect-errors: 1
#define TAPELESS_STACK_LIMIT 65536
#include <vector>
#include <tapeless/eval/batch.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<64>>;
constexpr auto loss =
    nn::softmax_cross_entropy(x | nn::dense<"fc1", 256> | nn::relu | nn::dense<"out", 10>, input<"y", vec<10>>);
float use(const params<decltype(loss), float>& P, const std::vector<float>& xs, const std::vector<float>& ys) {
  return value_and_grad_batch(loss, P, ys.size() / 10, bind<"x">(aos(xs)), bind<"y">(aos(ys))).value;
}
