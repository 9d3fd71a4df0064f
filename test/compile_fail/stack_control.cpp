// Control: the same dense network through a sample_engine, and a raised
// TAPELESS_STACK_LIMIT for the one-call form, compile.
// expect-compile
#define TAPELESS_STACK_LIMIT (std::size_t(64) << 20)
#include <array>
#include <memory>
#include <tapeless/eval/sample_engine.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<2048>>;
constexpr auto loss =
    nn::softmax_cross_entropy(x | nn::dense<"fc1", 2048> | nn::relu | nn::dense<"out", 10>, input<"y", vec<10>>);
using P_t = params<decltype(loss), float>;
float use(const P_t& P, P_t& G, const std::array<float, 2048>& xv, const std::array<float, 10>& yv) {
  auto engine = std::make_unique<sample_engine<decltype(loss), P_t>>();
  const float a = engine->value_and_grad_into(P, G, bind<"x">(xv), bind<"y">(yv));
  const float b = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(yv)).value;
  return a + b;
}
