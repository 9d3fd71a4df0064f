// A sequence engine called without the label its loss reads.
// expect: tapeless: sequence_engine: this input of the model (the template argument above) is not bound
// expect: name<'y'>
// expect-errors: 1
#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/core.hpp>
#include <vector>
using namespace tapeless;
constexpr auto h = input<"s", vec<4>>;
constexpr auto model = sequence(nn::gru_cell<"gru", 4>(input<"x", vec<1>>, h),
                                on_last_state(nn::softmax_cross_entropy(nn::dense<"out", 2>(h), input<"y", class_index<2>>)));
using P_t = decltype(model)::params_type<float>;
float loss(sequence_engine<decltype(model), P_t>& engine, const P_t& P, const std::vector<float>& xs) {
  return engine.value(P, 3, bind<"x">(xs));
}
