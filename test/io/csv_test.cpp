// The labeled CSV reader on hostile and careless input (issue 11): numbers
// out of float's range, non-finite values, empty files, byte order marks,
// over-long lines, each with its own message and file:line; and memory that
// stays proportional to the file, measured by counting every allocation.

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include <tapeless/data/labeled_csv.hpp>

// Every operator new of this program goes through here, so the tests can
// read the peak number of bytes allocated at once.
namespace {
std::atomic<std::size_t> live_bytes{0}, peak_bytes{0};
constexpr std::size_t header = alignof(std::max_align_t);

void* counted_new(std::size_t n) {
  void* p = std::malloc(n + header);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  const std::size_t now = live_bytes += n;
  std::size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + header;
}
void counted_delete(void* q) noexcept {
  if (!q) return;
  void* p = static_cast<char*>(q) - header;
  live_bytes -= *static_cast<std::size_t*>(p);
  std::free(p);
}

// The peak of bytes allocated at once while `f` runs, above what was live
// before it.
template <class F>
std::size_t peak_during(F&& f) {
  const std::size_t before = live_bytes.load();
  peak_bytes = before;
  f();
  return peak_bytes.load() - before;
}
}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }

using tapeless::data::data_error;
using tapeless::data::read_labeled_csv;

namespace {

// A file in the working directory, named after the test and this process.
struct csv_file {
  std::string path;
  csv_file(const std::string& name, const std::string& text)
      : path("csv-test-" + std::to_string(::getpid()) + "-" + name) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~csv_file() { std::remove(path.c_str()); }
};

// The message of the data_error reading `text` as a file named `name` throws.
std::string error_of(const std::string& name, const std::string& text, std::size_t features = 2,
                     std::size_t classes = 3) {
  const csv_file file(name, text);
  try {
    read_labeled_csv(file.path, features, classes);
  } catch (const data_error& e) {
    const std::string message = e.what();
    const std::string prefix = "tapeless: " + file.path + ":";
    return message.rfind(prefix, 0) == 0 ? name + ":" + message.substr(prefix.size()) : message;
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("numbers outside float's range are called out of range, not 'not a number'") {
  CHECK(error_of("big.csv", "1,2,0\n3,1e39,1\n") ==
        "big.csv:2: field 2 is out of range for float (magnitudes from about 1.4e-45 to 3.4e38, or 0): '1e39'");
  CHECK(error_of("neg.csv", "-1e39,2,0\n").find("neg.csv:1: field 1 is out of range for float") == 0);
  CHECK(error_of("tiny.csv", "1e-50,2,0\n").find("tiny.csv:1: field 1 is out of range for float") == 0);
  CHECK(error_of("label.csv", "1,2,99999999999\n") == "label.csv:1: label 99999999999 is outside [0, 3)");
  // The edges still read.
  const csv_file edges("edges.csv", "3.4028234e38,-3.4028234e38,0\n1e-45,0,1\n");
  const auto d = read_labeled_csv(edges.path, 2, 3);
  CHECK(d.x[0] == std::numeric_limits<float>::max());
  CHECK(d.x[2] > 0);
}

TEST_CASE("inf, -inf and infinity are rejected like nan") {
  for (const std::string text : {"inf", "-inf", "infinity", "INF", "-Infinity"}) {
    CAPTURE(text);
    CHECK(error_of("inf.csv", "1,2,0\n1," + text + ",1\n") == "inf.csv:2: field 2 is not finite (infinite): '" + text + "'");
  }
  CHECK(error_of("nan.csv", "nan,2,0\n") == "nan.csv:1: field 1 is not finite (NaN): 'nan'");
  CHECK(error_of("nan2.csv", " -NaN ,2,0\n") == "nan2.csv:1: field 1 is not finite (NaN): ' -NaN '");
}

TEST_CASE("a file without samples is an error, not an empty data set") {
  CHECK(error_of("empty.csv", "") ==
        "empty.csv:1: the file is empty; expected lines of 2 numbers and a label");
  CHECK(error_of("bom-only.csv", "\xEF\xBB\xBF") ==
        "bom-only.csv:1: the file is empty; expected lines of 2 numbers and a label");
  CHECK(error_of("blank.csv", "\n  \n\r\n") == "blank.csv:3: the file has no samples, only blank lines");
}

TEST_CASE("a UTF-8 byte order mark is skipped at the start of the file, and named anywhere else") {
  const csv_file with_bom("bom.csv", "\xEF\xBB\xBF" "1,2,0\r\n3,4,1\r\n");
  const auto d = read_labeled_csv(with_bom.path, 2, 3);
  REQUIRE(d.size() == 2);
  CHECK(d.x[0] == 1.0f);
  CHECK(d.labels[1] == 1);

  CHECK(error_of("bom2.csv", "1,2,0\n\xEF\xBB\xBF" "3,4,1\n") ==
        "bom2.csv:2: field 1 is not a number: '\\xEF\\xBB\\xBF3' (EF BB BF is a UTF-8 byte order mark, allowed only "
        "at the start of the file)");
  // Other bytes that do not show are spelled out too, and long fields cut.
  CHECK(error_of("nul.csv", std::string("1,2\0,0\n", 7)) == "nul.csv:1: field 2 is not a number: '2\\x00'");
  CHECK(error_of("long.csv", std::string(100, 'x') + ",1,0\n") ==
        "long.csv:1: field 1 is not a number: '" + std::string(40, 'x') + "... (100 bytes)'");
}

TEST_CASE("an over-long line is reported as such, before it is read whole") {
  // The default limit for 2 features: 4096 + 128 × 3 = 4480 bytes.
  const std::string line(4481, '1');
  CHECK(error_of("wide.csv", "1,2,0\n" + line + "\n") ==
        "wide.csv:2: the line is longer than 4480 bytes, the limit for 2 features (a wrong file, or a file without "
        "line breaks?)");
  CHECK(error_of("wide-last.csv", "1,2,0\n" + line).find("wide-last.csv:2: the line is longer than 4480 bytes") == 0);
  // Exactly at the limit is fine as far as length goes.
  CHECK(error_of("at-limit.csv", "1,2,0\n" + std::string(4480, '1') + "\n") ==
        "at-limit.csv:2: expected 3 fields, found 1");
  // A limit of the caller's choosing.
  std::istringstream in("1,2,0\n10,20.5,1\n");
  CHECK_THROWS_WITH_AS(read_labeled_csv(in, "given.csv", 2, 3, 8),
                       "tapeless: given.csv:2: the line is longer than 8 bytes, the limit for 2 features (a wrong "
                       "file, or a file without line breaks?)",
                       data_error);
}

TEST_CASE("memory stays proportional to the file") {
  SUBCASE("a 32 MiB line is rejected with about a block and a line limit allocated") {
    std::string text = "1,2,0\n";
    text.reserve((std::size_t{32} << 20) + 16);
    while (text.size() < (std::size_t{32} << 20)) text += "0,";
    text += "0\n";
    std::size_t peak = 0;
    peak = peak_during([&] {
      std::istringstream in(std::move(text));
      CHECK_THROWS_WITH_AS(read_labeled_csv(in, "huge-line.csv", 2, 3),
                           doctest::Contains("huge-line.csv:2: the line is longer than 4480 bytes"), data_error);
    });
    CAPTURE(peak);
    CHECK(peak < (std::size_t{1} << 20));  // the text was moved into the stream
    const csv_file file("huge-line.csv", std::string("1,2,0\n") + std::string(std::size_t{32} << 20, '7') + "\n");
    peak = peak_during([&] {
      CHECK_THROWS_WITH_AS(read_labeled_csv(file.path, 2, 3), doctest::Contains("is longer than 4480 bytes"),
                           data_error);
    });
    CAPTURE(peak);
    CHECK(peak < (std::size_t{1} << 20));
  }
  SUBCASE("a valid file with one long line: a few times its size at most") {
    constexpr std::size_t features = std::size_t{1} << 20;
    std::string text;
    for (std::size_t f = 0; f < features; ++f) text += "0,";
    text += "1\n";
    const csv_file file("long-sample.csv", text);
    std::size_t peak = 0;
    peak = peak_during([&] {
      const auto d = read_labeled_csv(file.path, features, 2);
      CHECK(d.size() == 1);
      CHECK(d.x.size() == features);
    });
    CAPTURE(peak);
    CAPTURE(text.size());
    // The line (up to 2× its size while a std::string grows) and the values
    // (4 bytes each, up to 1.5× while a vector grows): 4 + 6 = 10 MiB here.
    CHECK(peak < 6 * text.size());
  }
}

TEST_CASE("the stream overload and the existing behaviour") {
  std::istringstream in("1,2,0\n\n3.5, 4 ,1\r\n  \n5\t,6,2");
  const auto d = read_labeled_csv(in, "stream", 2, 3);
  REQUIRE(d.size() == 3);
  CHECK(d.x == std::vector<float>{1, 2, 3.5f, 4, 5, 6});
  CHECK(d.labels == std::vector<int>{0, 1, 2});
  CHECK(error_of("fields.csv", "1,2,0\n1,1\n") == "fields.csv:2: expected 3 fields, found 2");
  CHECK(error_of("x.csv", "1,2,0\n\n1,x,1\n") == "x.csv:3: field 2 is not a number: 'x'");
  CHECK(error_of("lbl.csv", "1,2,0.5\n") == "lbl.csv:1: the label is not an integer: '0.5'");
  CHECK(error_of("lbl2.csv", "1,2,7\n") == "lbl2.csv:1: label 7 is outside [0, 3)");
  CHECK_THROWS_WITH_AS(read_labeled_csv("csv-test-does-not-exist.csv", 2, 3),
                       "tapeless: cannot open 'csv-test-does-not-exist.csv'", data_error);
}
