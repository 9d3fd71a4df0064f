#pragma once
// Reading a labeled data set from CSV: one sample per line, `Features`
// numbers, then an integer class label in [0, classes).
//
//   auto digits = data::read_labeled_csv("examples/data/digits.csv", 64, 10);
//
// Any malformed line stops the read with data_error naming the file, the
// line number and what is wrong ("digits.csv:17: expected 65 fields, found
// 64"); nothing partial is returned. Blank lines are skipped.

#include <charconv>
#include <cstdint>
#include <cstddef>
#include <fstream>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tapeless::data {

struct data_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Samples as rows: x holds features() numbers per sample, sample-major.
struct labeled_data {
  std::size_t features = 0;
  std::size_t classes = 0;
  std::vector<float> x;
  std::vector<int> labels;

  std::size_t size() const { return labels.size(); }
  const float* sample(std::size_t i) const { return x.data() + i * features; }
};

inline labeled_data read_labeled_csv(const std::string& path, std::size_t features, std::size_t classes) {
  std::ifstream in(path);
  if (!in) throw data_error("tapeless: cannot open '" + path + "'");
  labeled_data out;
  out.features = features;
  out.classes = classes;
  std::string line;
  std::size_t line_number = 0;
  auto fail = [&](const std::string& what) {
    throw data_error("tapeless: " + path + ":" + std::to_string(line_number) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
      const std::size_t comma = line.find(',', start);
      fields.emplace_back(line.data() + start, (comma == std::string::npos ? line.size() : comma) - start);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (fields.size() != features + 1)
      fail("expected " + std::to_string(features + 1) + " fields, found " + std::to_string(fields.size()));
    for (std::size_t f = 0; f < features; ++f) {
      std::string_view text = fields[f];
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
      float v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        fail("field " + std::to_string(f + 1) + " is not a number: '" + std::string(fields[f]) + "'");
      if (v != v) fail("field " + std::to_string(f + 1) + " is NaN");
      out.x.push_back(v);
    }
    std::string_view text = fields[features];
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    int label = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), label);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
      fail("the label is not an integer: '" + std::string(fields[features]) + "'");
    if (label < 0 || std::size_t(label) >= classes)
      fail("label " + std::to_string(label) + " is outside [0, " + std::to_string(classes) + ")");
    out.labels.push_back(label);
  }
  if (in.bad()) throw data_error("tapeless: error while reading '" + path + "'");
  return out;
}

// A deterministic split: the samples are shuffled with `seed` (the same
// permutation on every platform: mt19937 and a Fisher-Yates shuffle with
// rejection sampling, no implementation-defined distributions), then the
// first `train_fraction` of them are the training set.
struct split_data {
  labeled_data train, test;
};

// Uniform integer in [0, bound) from a 32-bit generator, without modulo
// bias; defined here because std::uniform_int_distribution's output is
// implementation-defined.
inline std::uint32_t uniform_below(std::mt19937& rng, std::uint32_t bound) {
  const std::uint32_t limit = std::uint32_t(-bound) % bound;  // 2^32 mod bound
  for (;;) {
    const std::uint32_t r = std::uint32_t(rng());
    if (r >= limit) return r % bound;
  }
}

inline std::vector<std::size_t> shuffled_indices(std::size_t n, std::mt19937& rng) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[uniform_below(rng, std::uint32_t(i))]);
  return order;
}

inline labeled_data subset(const labeled_data& d, const std::vector<std::size_t>& order, std::size_t begin,
                           std::size_t end) {
  labeled_data out;
  out.features = d.features;
  out.classes = d.classes;
  out.x.reserve((end - begin) * d.features);
  out.labels.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    out.x.insert(out.x.end(), d.sample(order[i]), d.sample(order[i]) + d.features);
    out.labels.push_back(d.labels[order[i]]);
  }
  return out;
}

inline split_data split(const labeled_data& d, double train_fraction, std::uint32_t seed) {
  if (!(train_fraction > 0 && train_fraction < 1))
    throw std::invalid_argument("tapeless: split: train_fraction must be in (0, 1)");
  std::mt19937 rng(seed);
  const auto order = shuffled_indices(d.size(), rng);
  const std::size_t n_train = std::size_t(double(d.size()) * train_fraction + 0.5);
  return {subset(d, order, 0, n_train), subset(d, order, n_train, d.size())};
}

// Scales every feature by `factor` (digits: 1/16 maps pixels to [0, 1]).
inline void scale_features(labeled_data& d, float factor) {
  for (float& v : d.x) v *= factor;
}

}  // namespace tapeless::data
