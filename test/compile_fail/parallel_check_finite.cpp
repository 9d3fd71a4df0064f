// check_finite passed to a parallel_batch_engine, which does not honour it:
// refused at compile time rather than silently ignored.
// expect: tapeless: this call does not take check_finite
// expect-errors: 1
#include <tapeless/eval/parallel_batch.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto f = square(param<"p"> * input<"a">);
void use() {
  params<decltype(f), float> P, G;
  const float a[4] = {1, 2, 3, 4};
  parallel_batch_engine<decltype(f), decltype(P), 2> engine(2);
  (void)engine.value_and_grad_into(P, G, 4, check_finite, bind<"a">(a));
}
