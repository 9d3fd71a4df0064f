#pragma once
// Reading a labeled data set from CSV: one sample per line, `Features`
// numbers, then an integer class label in [0, classes).
//
//   auto digits = data::read_labeled_csv("examples/data/digits.csv", 64, 10);
//
// Any malformed line stops the read with data_error naming the file, the
// line number and what is wrong ("digits.csv:17: expected 65 fields, found
// 64"); nothing partial is returned. Blank lines are skipped, a line may end
// in "\r\n", and a UTF-8 byte order mark (EF BB BF) at the very start of the
// file is skipped. Rejected, each with its own message:
//   - a file with no samples (empty, or only blank lines);
//   - a field that is not a number, or a number out of float's range
//     ("1e39", and "1e-50", which would round to 0), or not finite ("nan",
//     "inf", "-inf", "infinity", in any case);
//   - a line longer than max_line_bytes (by default 4096 + 128 bytes per
//     field, far more than any number needs), before more of it is read.
// Bytes that are not printable ASCII are shown in messages as \xNN.
//
// Memory: the file is read in 64 KiB blocks and one line at a time, so the
// reader holds at most one block, one line (at most max_line_bytes) and the
// result (4 bytes per value; every value takes at least 2 bytes of the
// file, so at most twice the file's size, plus the vector's growth).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstddef>
#include <fstream>
#include <istream>
#include <limits>
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

namespace detail {

inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// The default line limit: 4096 bytes plus 128 per field, saturating.
inline std::size_t default_max_line_bytes(std::size_t features) {
  constexpr std::size_t most = std::numeric_limits<std::size_t>::max();
  if (features >= (most - 4096) / 128 - 1) return most;
  return 4096 + 128 * (features + 1);
}

// A field as a message shows it: at most 40 bytes, anything but printable
// ASCII as \xNN, and a note when it holds a byte order mark.
inline std::string shown(std::string_view field) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out = "'";
  const std::size_t n = std::min<std::size_t>(field.size(), 40);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0xF];
    }
  }
  if (n < field.size()) out += "... (" + std::to_string(field.size()) + " bytes)";
  out += "'";
  if (field.find(utf8_bom) != std::string_view::npos)
    out += " (EF BB BF is a UTF-8 byte order mark, allowed only at the start of the file)";
  return out;
}

inline std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace detail

// From a stream; `name` stands for the file in messages. max_line_bytes = 0
// takes the default above.
inline labeled_data read_labeled_csv(std::istream& in, const std::string& name, std::size_t features,
                                     std::size_t classes, std::size_t max_line_bytes = 0) {
  if (max_line_bytes == 0) max_line_bytes = detail::default_max_line_bytes(features);
  labeled_data out;
  out.features = features;
  out.classes = classes;
  std::size_t line_number = 0;
  auto fail = [&](const std::string& what) {
    throw data_error("tapeless: " + name + ":" + std::to_string(line_number) + ": " + what);
  };

  const auto parse_line = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    // Count first, so that a line of the wrong width costs nothing more.
    const std::size_t fields = static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
    if (fields != features + 1)
      fail("expected " + std::to_string(features + 1) + " fields, found " + std::to_string(fields));
    std::size_t start = 0;
    const auto next_field = [&] {
      const std::size_t comma = std::min(line.find(',', start), line.size());
      const std::string_view field = line.substr(start, comma - start);
      start = comma + 1;
      return field;
    };
    for (std::size_t f = 0; f < features; ++f) {
      const std::string_view field = next_field();
      const std::string_view text = detail::trimmed(field);
      float v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      const std::string which = "field " + std::to_string(f + 1);
      if (text.empty() || end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
        fail(which + " is not a number: " + detail::shown(field));
      if (ec == std::errc::result_out_of_range)
        fail(which + " is out of range for float (magnitudes from about 1.4e-45 to 3.4e38, or 0): " +
             detail::shown(field));
      if (!std::isfinite(v)) fail(which + " is not finite (" + (v != v ? "NaN" : "infinite") + "): " + detail::shown(field));
      out.x.push_back(v);
    }
    const std::string_view field = next_field();
    const std::string_view text = detail::trimmed(field);
    int label = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), label);
    if (text.empty() || end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
      fail("the label is not an integer: " + detail::shown(field));
    if (ec == std::errc::result_out_of_range || label < 0 || std::size_t(label) >= classes)
      fail("label " + std::string(text.substr(0, 40)) + " is outside [0, " + std::to_string(classes) + ")");
    out.labels.push_back(label);
  };

  // Block by block; `line` holds the start of a line that runs past a block.
  constexpr std::size_t block_size = std::size_t{1} << 16;
  std::vector<char> block(block_size);
  std::string line;
  bool at_start = true, any_bytes = false;
  const auto too_long = [&] {
    ++line_number;
    fail("the line is longer than " + std::to_string(max_line_bytes) + " bytes, the limit for " +
         std::to_string(features) + " features (a wrong file, or a file without line breaks?)");
  };
  for (;;) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    std::string_view rest(block.data(), got);
    if (at_start) {
      // read() fills the block unless the input ends first, so a BOM is
      // whole in the first block.
      if (rest.substr(0, 3) == detail::utf8_bom) rest.remove_prefix(3);
      at_start = false;
    }
    if (!rest.empty()) any_bytes = true;
    for (;;) {
      const std::size_t newline = rest.find('\n');
      const std::size_t piece = newline == std::string_view::npos ? rest.size() : newline;
      if (line.size() + piece > max_line_bytes) too_long();
      if (newline == std::string_view::npos) {
        line.append(rest);
        break;
      }
      ++line_number;
      if (line.empty()) {
        parse_line(rest.substr(0, newline));
      } else {
        line.append(rest.substr(0, newline));
        parse_line(line);
        line.clear();
      }
      rest.remove_prefix(newline + 1);
    }
  }
  if (in.bad()) throw data_error("tapeless: error while reading '" + name + "'");
  if (!line.empty()) {
    ++line_number;
    parse_line(line);
  }
  if (!any_bytes) {
    line_number = 1;
    fail("the file is empty; expected lines of " + std::to_string(features) + " numbers and a label");
  }
  if (out.labels.empty()) fail("the file has no samples, only blank lines");
  return out;
}

inline labeled_data read_labeled_csv(const std::string& path, std::size_t features, std::size_t classes,
                                     std::size_t max_line_bytes = 0) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error("tapeless: cannot open '" + path + "'");
  return read_labeled_csv(in, path, features, classes, max_line_bytes);
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
