// train::fit on a data set without a column for one of the loss's inputs.
// expect: tapeless: train::fit: the data set has no column for this input of the loss
// expect: name<'y'>
// expect-errors: 1
#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/fit.hpp>
#include <vector>
using namespace tapeless;
constexpr auto loss = nn::half_squared_error(input<"x", vec<1>> | nn::dense<"o", 1>, input<"y", vec<1>>);
void train_it(params<decltype(loss), float>& P, sgd<params<decltype(loss), float>>& opt, const std::vector<float>& xs) {
  train::fit(loss, P, opt, train::samples(train::column<"x">(xs)), {});
}
