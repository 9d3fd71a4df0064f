#pragma once
// Hyperparameter checks, run when an optimizer is constructed or given new
// options. A bad value throws std::invalid_argument naming the optimizer,
// the option and the value: "tapeless::adam: beta1 = 1 must be in [0, 1)".
// Every test is written so that NaN fails it.

#include <cmath>
#include <stdexcept>
#include <string>

#include <tapeless/util/format.hpp>

namespace tapeless::detail {

inline void require_option(bool ok, const char* optimizer, const char* option, double value, const char* rule) {
  if (!ok)
    throw std::invalid_argument(std::string("tapeless::") + optimizer + ": " + option + " = " + to_string(value) +
                                " " + rule);
}

inline void require_option_non_negative(const char* optimizer, const char* option, double value) {
  require_option(value >= 0 && std::isfinite(value), optimizer, option, value, "must be finite and >= 0");
}

inline void require_option_unit_interval(const char* optimizer, const char* option, double value) {
  require_option(value >= 0 && value < 1, optimizer, option, value, "must be in [0, 1)");
}

inline void require_option_positive(const char* optimizer, const char* option, double value) {
  require_option(value > 0 && std::isfinite(value), optimizer, option, value, "must be finite and > 0");
}

}  // namespace tapeless::detail
