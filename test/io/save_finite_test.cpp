// save refuses non-finite parameters (issue 11, part 3): a buffer made NaN
// by training was saved, and loaded back, without a word. Now save throws
// file_error naming the parameter before anything is written (no file, no
// temporary, an older file untouched); {.allow_non_finite = true} saves it.

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;
namespace fs = std::filesystem;

namespace {

constexpr auto net = dot(relu(param<"W1", mat<2, 2>> * input<"x", vec<2>> + param<"b1", vec<2>>),
                         param<"w2", vec<2>>) +
                     param<"b2">;

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE_TEMPLATE("save refuses a NaN or an infinity, naming the parameter, and writes nothing", T, float,
                   double) {
  const char* root = std::getenv("TAPELESS_IO_SCRATCH");
  const fs::path dir = (root ? fs::path(root) : fs::temp_directory_path()) /
                       ("tapeless-save-finite-" + std::to_string(::getpid()) + "-" + std::to_string(sizeof(T)));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path path = dir / "p.tpl";

  params<decltype(net), T> P;
  for (std::size_t k = 0; k < P.size(); ++k) P.data()[k] = T(k) / T(3);
  save(P, path);
  const std::string before = contents(path);

  for (T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                -std::numeric_limits<T>::infinity()}) {
    params<decltype(net), T> Q = P;
    Q.template get<"b1">()[1] = bad;
    try {
      save(Q, path);
      FAIL("save did not throw");
    } catch (const file_error& e) {
      const std::string m = e.what();
      CAPTURE(m);
      CHECK(e.why() == file_error::reason::write_failed);
      CHECK(m.find("parameter 'b1' element 1") != std::string::npos);
      CHECK(m.find(std::isnan(bad) ? "nan" : bad > 0 ? "is inf" : "-inf") != std::string::npos);
    }
    CHECK(contents(path) == before);  // the older file is untouched
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // no temporary

    std::ostringstream out;
    CHECK_THROWS_AS(save(Q, out), file_error);
    CHECK(out.str().empty());

    // Asked for: saved, and loaded back bit for bit.
    save(Q, path, {.allow_non_finite = true});
    params<decltype(net), T> R;
    load(R, path);
    CHECK(std::memcmp(R.data(), Q.data(), sizeof(T) * Q.size()) == 0);
    save(P, path);
  }
  fs::remove_all(dir);
}
