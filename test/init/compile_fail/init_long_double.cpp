// An initializer on long double, whose bits differ between platforms.
// expect: tapeless::init: initializers fill float or double, the types whose bits are reproducible
// expect-errors: 1
#include <tapeless/init/init.hpp>
using namespace tapeless;
void use() {
  tensor<long double, mat<2, 2>> t;
  init::rng g(1);
  init::he_normal(t.view(), g);
}
