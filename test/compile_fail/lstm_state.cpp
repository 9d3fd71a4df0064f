// An LSTM cell given a state of H numbers instead of (h, c), 2 H.
// expect: tapeless: nn::lstm_cell<name, H>(x, s) needs a vector x and a state s = (h, c) of shape vec<2 H>
// expect: vec<3>
// expect: vec<4>
// expect-errors: 1
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto next = nn::lstm_cell<"lstm", 4>(input<"x", vec<3>>, input<"s", vec<4>>);
