#pragma once
// Run-time errors. Compile-time mistakes (shapes, names) are static_asserts;
// what can only be known at run time (the length of a span, the contents of
// a file) is checked before anything is written, and reported by throwing.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace tapeless {

// Run-time data whose size does not match the shape it is bound to.
class shape_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A class label (an input of shape class_index<C>, core/shape.hpp) bound to
// a value that is not an integer in [0, C): the message names the input, the value, the
// class count and, in a batch, the sample.
class label_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A NaN or an infinity found by a call made with `check_finite`
// (eval/finite.hpp): the message names the node's op and position in the
// graph's node list (or the parameter, for a gradient), the leaf's name for
// an input or parameter, and the sample in a batch.
class numeric_error : public std::runtime_error {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  numeric_error(const std::string& what, std::size_t node, std::size_t sample, bool in_gradient)
      : std::runtime_error(what), node_(node), sample_(sample), in_gradient_(in_gradient) {}

  // Position of the node in the graph's node list (npos for a gradient).
  std::size_t node() const noexcept { return node_; }
  // The sample of a batch call (for a gradient: the chunk's first sample);
  // npos for a one-sample call or a parameter's value.
  std::size_t sample() const noexcept { return sample_; }
  // Whether the value was a parameter gradient rather than a forward value.
  bool in_gradient() const noexcept { return in_gradient_; }

 private:
  std::size_t node_;
  std::size_t sample_;
  bool in_gradient_;
};

}  // namespace tapeless
