#pragma once
// Checks of a labeled data set before training on it or scoring it.
//
//   train::check_labeled_data(d, "training data", 64, 10);
//
// A labeled_data built by hand (not by read_labeled_csv, which checks every
// line) can be inconsistent: a label outside [0, classes), which
// fit_classifier would use as the index of a one-hot entry, or fewer
// numbers in x than labels × features, which it would read past. The check
// throws data::data_error naming the data set, and the sample and label or
// the sizes, before anything is read by index or written. Sizes are
// compared by division, so no product can wrap around.

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include <tapeless/data/labeled_csv.hpp>

namespace tapeless::train {

// Throws data::data_error unless d has `features` features and `classes`
// classes, exactly labels × features numbers in x, and every label in
// [0, classes). `what` names d in the message ("training data").
inline void check_labeled_data(const data::labeled_data& d, std::string_view what, std::size_t features,
                               std::size_t classes) {
  const std::string name(what);
  if (d.features != features || d.classes != classes)
    throw data::data_error("tapeless: " + name + " has " + std::to_string(d.features) + " features and " +
                           std::to_string(d.classes) + " classes; the network has " + std::to_string(features) +
                           " and " + std::to_string(classes));
  const std::size_t n = d.labels.size(), have = d.x.size();
  const bool sizes_match = features == 0 ? have == 0 : have % features == 0 && have / features == n;
  if (!sizes_match) {
    // n · features, or "more than SIZE_MAX" when it does not fit.
    constexpr std::size_t most = std::numeric_limits<std::size_t>::max();
    const std::string needed = features != 0 && n > most / features ? "more than " + std::to_string(most)
                                                                     : std::to_string(n * features);
    throw data::data_error("tapeless: " + name + " has " + std::to_string(n) + " labels and " +
                           std::to_string(have) + " feature values; " + std::to_string(n) + " samples of " +
                           std::to_string(features) + " features need " + needed);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const int label = d.labels[i];
    if (label < 0 || static_cast<std::size_t>(label) >= classes)
      throw data::data_error("tapeless: " + name + ": sample " + std::to_string(i) + " has label " +
                             std::to_string(label) + ", outside [0, " + std::to_string(classes) + ")");
  }
}

}  // namespace tapeless::train
