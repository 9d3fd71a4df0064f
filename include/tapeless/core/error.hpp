#pragma once
// Run-time errors. Compile-time mistakes (shapes, names) are static_asserts;
// what can only be known at run time (the length of a span, the contents of
// a file) is checked before anything is written, and reported by throwing.

#include <stdexcept>
#include <string>

namespace tapeless {

// Run-time data whose size does not match the shape it is bound to.
class shape_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace tapeless
