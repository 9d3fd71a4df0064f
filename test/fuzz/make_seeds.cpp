// Writes the parameter-file seeds of corpus/load/ (run once by hand when the
// format changes; see README.md):
//   clang++-14 -std=c++20 -I include test/fuzz/make_seeds.cpp -o make_seeds && ./make_seeds test/fuzz/corpus/load

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

constexpr auto x = input<"x", vec<2>>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto seed_net = dot(relu(W1 * x + b1), w2) + b2;
constexpr auto img = input<"img", image<2, 4, 4>>;
constexpr auto Q = param<"Q", image<2, 4, 4>>;
constexpr auto v = param<"v", vec<8>>;
constexpr auto image_net = dot(v, flatten(max_pool2d<2>(img + Q)));
constexpr auto a = param<"a">;
constexpr auto scalar_net = a * a;
constexpr auto U1 = param<"U1", mat<2, 2>>;
constexpr auto renamed_net = dot(relu(U1 * x + b1), w2) + b2;

template <class P>
std::string image_of(const P& p) {
  std::ostringstream out;
  save(p, out);
  return out.str();
}

void put(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

void set_u64(std::string& b, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  params<decltype(seed_net), float> pf;
  params<decltype(seed_net), double> pd;
  for (std::size_t k = 0; k < pf.size(); ++k) pf.data()[k] = float(k) - 2.5f, pd.data()[k] = double(k) / 3;
  params<decltype(image_net), float> qf;
  params<decltype(image_net), double> qd;
  for (std::size_t k = 0; k < qf.size(); ++k) qf.data()[k] = float(k), qd.data()[k] = -double(k);
  params<decltype(scalar_net), float> s;
  s.get<"a">() = 1.0f;

  put(dir, "seed-float.tpl", image_of(pf));
  put(dir, "seed-double.tpl", image_of(pd));
  put(dir, "image-float.tpl", image_of(qf));
  put(dir, "image-double.tpl", image_of(qd));
  put(dir, "scalar-float.tpl", image_of(s));
  put(dir, "renamed-double.tpl", image_of(params<decltype(renamed_net), double>{}));
  const std::string good = image_of(pf);
  put(dir, "truncated.tpl", good.substr(0, good.size() - 7));
  std::string flipped = good;
  flipped[60] ^= 0x10;
  put(dir, "bit-flipped.tpl", flipped);
  std::string forged = good;
  set_u64(forged, 16, std::uint64_t{1} << 40);
  put(dir, "forged-length.tpl", forged);
  put(dir, "two-files.tpl", good + image_of(pd));
  return 0;
}
