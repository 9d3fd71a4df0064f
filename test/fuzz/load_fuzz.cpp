// libFuzzer harness for tapeless::load(P, stream) (test/fuzz/README.md).
//
// Every input is loaded into buffers of three networks (float and double):
// a load either succeeds or throws file_error, and
//   - on failure the destination holds exactly what it held before;
//   - on success, saving the buffer gives back the bytes that were read;
//   - it never reads more than the buffer's own file, or its header and
//     parameter table up to the first difference (a forged length must not
//     make it read on);
//   - nothing else escapes (std::bad_alloc included: run.sh caps malloc).
// Sanitizers (address, undefined) catch the rest.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

constexpr auto x = input<"x", vec<2>>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto seed_net = dot(relu(W1 * x + b1), w2) + b2;  // the README's network

constexpr auto img = input<"img", image<2, 4, 4>>;
constexpr auto Q = param<"Q", image<2, 4, 4>>;
constexpr auto v = param<"v", vec<8>>;
constexpr auto image_net = dot(v, flatten(max_pool2d<2>(img + Q)));  // a rank-3 parameter

constexpr auto a = param<"a">;
constexpr auto scalar_net = a * a;  // the one-parameter file of docs/io.md

// A read-only stream over the input that counts the bytes handed out.
class memory_buf : public std::streambuf {
 public:
  memory_buf(const std::uint8_t* data, std::size_t size) {
    char* p = reinterpret_cast<char*>(const_cast<std::uint8_t*>(data));
    setg(p, p, p + size);
  }
  std::size_t consumed() const { return static_cast<std::size_t>(gptr() - eback()); }
};

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "load_fuzz: %s\n", what);
  std::abort();
}

template <class P>
void check(const std::uint8_t* data, std::size_t size) {
  using E = typename P::element_type;
  P dest;
  for (std::size_t k = 0; k < P::size(); ++k) dest.data()[k] = E(0.25) * E(k + 1);
  const P before = dest;
  memory_buf buf(data, size);
  std::istream in(&buf);
  bool loaded = false;
  try {
    load(dest, in);
    loaded = true;
  } catch (const file_error& e) {
    if (std::memcmp(dest.data(), before.data(), sizeof(E) * P::size()) != 0)
      finding("a failed load changed the destination");
    if (std::strlen(e.what()) == 0) finding("an empty message");
  }
  // The most a load may read: its own file, or the header and a table of
  // leaves + 1 entries, each with a name of at most 256 bytes and 3 dims.
  constexpr std::size_t own = detail::params_file::file_size<P>();
  constexpr std::size_t diagnosis = 32 + (P::leaf_count() + 1) * (4 + 256 + 4 + 3 * 8);
  if (buf.consumed() > (own > diagnosis ? own : diagnosis)) finding("load read past what it needed");
  if (loaded) {
    if (buf.consumed() != own) finding("a successful load read other than its file's length");
    std::ostringstream out;
    save(dest, out, {.allow_non_finite = true});  // a loaded file may hold NaNs
    const std::string again = out.str();
    if (again.size() != own || std::memcmp(again.data(), data, own) != 0)
      finding("saving a loaded buffer does not give back the file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check<params<decltype(seed_net), float>>(data, size);
  check<params<decltype(seed_net), double>>(data, size);
  check<params<decltype(image_net), float>>(data, size);
  check<params<decltype(image_net), double>>(data, size);
  check<params<decltype(scalar_net), float>>(data, size);
  return 0;
}
