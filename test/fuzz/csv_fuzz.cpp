// libFuzzer harness for tapeless::data::read_labeled_csv (test/fuzz/README.md).
//
// The first byte of an input chooses the reader's arguments:
//   features = 1 + (b & 7), classes = 1 + ((b >> 3) & 7),
//   max_line_bytes = b & 0x40 ? 24 : the default;
// the rest is the file. A read either returns a data set or throws
// data_error with a message "tapeless: fuzz.csv:<line>: ..."; a data set
// holds features numbers per label, every number finite, every label in
// [0, classes), at least one sample. Nothing else may escape.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <istream>
#include <streambuf>
#include <string>

#include <tapeless/data/labeled_csv.hpp>

namespace {

class memory_buf : public std::streambuf {
 public:
  memory_buf(const std::uint8_t* data, std::size_t size) {
    char* p = reinterpret_cast<char*>(const_cast<std::uint8_t*>(data));
    setg(p, p, p + size);
  }
};

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "csv_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned b = data[0];
  const std::size_t features = 1 + (b & 7);
  const std::size_t classes = 1 + ((b >> 3) & 7);
  const std::size_t max_line = (b & 0x40) ? 24 : 0;
  memory_buf buf(data + 1, size - 1);
  std::istream in(&buf);
  try {
    const auto d = tapeless::data::read_labeled_csv(in, "fuzz.csv", features, classes, max_line);
    if (d.size() == 0) finding("no samples, and no error");
    if (d.features != features || d.classes != classes) finding("wrong sizes");
    if (d.x.size() != d.size() * features) finding("x does not hold features values per label");
    for (const float v : d.x)
      if (!std::isfinite(v)) finding("a non-finite value was accepted");
    for (const int label : d.labels)
      if (label < 0 || static_cast<std::size_t>(label) >= classes) finding("a label out of range was accepted");
  } catch (const tapeless::data::data_error& e) {
    const std::string message = e.what();
    if (message.rfind("tapeless: fuzz.csv:", 0) != 0) finding("a message without file:line");
  }
  return 0;
}
