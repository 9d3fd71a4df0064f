// value_and_grad_into of three 16-channel convolutions on 16 x 64 x 64
// images in double: the workspace alone is over 10 MiB.
// expect: stack_bytes_over_limit<
// expect: , 262144>
// expect: value_and_grad_into(f, P, G, ...) would keep its workspace on the stack
// expect: keep a sample_engine<decltype(f), decltype(P)>
// expect-errors: 1
#include <span>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", image<16, 64, 64>>;
constexpr auto logits = x | nn::conv2d<"c1", 16, 3, 1, 1> | nn::relu | nn::conv2d<"c2", 16, 3, 1, 1> | nn::relu |
                        nn::conv2d<"c3", 16, 3, 1, 1> | nn::relu | nn::avg_pool<4> | nn::flatten |
                        nn::dense<"out", 10>;
constexpr auto loss = nn::softmax_cross_entropy(logits, input<"y", vec<10>>);
double use(const params<decltype(loss)>& P, params<decltype(loss)>& G, const double* xs, const double* ys) {
  return value_and_grad_into(loss, P, G, bind<"x">(std::span<const double, 16 * 64 * 64>(xs, 16 * 64 * 64)),
                             bind<"y">(std::span<const double, 10>(ys, 10)));
}
