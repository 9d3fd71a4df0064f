// A sequence engine called with a binding whose name no input of the model has.
// expect: tapeless: sequence_engine: this binding names no input of the model
// expect: name<'z'>
// expect-errors: 1
#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/core.hpp>
#include <vector>
using namespace tapeless;
constexpr auto h = input<"s", vec<4>>;
constexpr auto model = sequence(nn::gru_cell<"gru", 4>(input<"x", vec<1>>, h), on_last_state(dot(h, h)));
using P_t = decltype(model)::params_type<float>;
float loss(sequence_engine<decltype(model), P_t>& engine, const P_t& P, const std::vector<float>& xs) {
  return engine.value(P, 3, bind<"x">(xs), bind<"z">(xs));
}
