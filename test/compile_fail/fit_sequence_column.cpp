// train::fit on a sequence model whose step input is given as a plain column.
// expect: tapeless: train::fit: this column is the sequence model's step input
// expect: give it as train::sequences<
// expect: name<'x'>
// expect-errors: 1
#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>
#include <vector>
using namespace tapeless;
constexpr auto h = input<"s", vec<4>>;
constexpr auto model = sequence(nn::gru_cell<"gru", 4>(input<"x", vec<1>>, h), on_last_state(dot(h, h)));
using P_t = decltype(model)::params_type<float>;
void train_it(P_t& P, sgd<P_t>& opt, const std::vector<float>& xs) {
  train::fit(model, P, opt, train::samples(train::column<"x">(xs)), {});
}
