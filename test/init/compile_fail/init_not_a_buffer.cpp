// initialize() on something that is not a parameter buffer.
// expect: tapeless::init::initialize(P, scheme, seed) requires P to be a mutable parameter buffer
// expect-errors: 1
#include <vector>
#include <tapeless/init/init.hpp>
void use() {
  std::vector<double> v(4);
  tapeless::init::initialize(v, tapeless::init::he_normal, 1);
}
