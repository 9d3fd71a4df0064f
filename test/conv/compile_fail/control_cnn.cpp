// Control: a small CNN and its gradient compile.
// expect-compile
#include <span>

#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", image<1, 8, 8>>;
constexpr auto net = nn::conv2d<"c1", 4, 3, 1, 1> | nn::relu | nn::max_pool<2> | nn::conv2d<"c2", 4, 2, 2> |
                     nn::avg_pool<2> | nn::flatten | nn::dense<"out", 3>;
constexpr auto loss = nn::softmax_cross_entropy(x | net, input<"y", vec<3>>);
double grad(const params<decltype(loss)>& P, const double* xs, const double* ys) {
  return value_and_grad(loss, P, bind<"x">(std::span<const double, 64>(xs, 64)),
                        bind<"y">(std::span<const double, 3>(ys, 3)))
      .value;
}
