// A class label with a different class count than the logits: input<"y", class_index<3>>
// against vec<4>.
// expect: tapeless: pick(z, y) needs a vector z and a class label y declared input<name, class_index<C>>, with C the vector's size
// expect: class_index<3>
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto z = input<"z", vec<4>>;
constexpr auto bad = nn::softmax_cross_entropy(z, input<"y", class_index<3>>);
