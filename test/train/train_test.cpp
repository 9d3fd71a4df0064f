// The data loader (good files, malformed lines reported by line number) and
// the training loop (loss goes down, accuracy goes up, same seed ⇒ same
// weights bit for bit).

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/core.hpp>
#include <tapeless/train/diagnostics.hpp>
#include <tapeless/train/fit.hpp>

using namespace tapeless;

namespace {
std::string write_file(const std::string& name, const std::string& text) {
  std::ofstream(name) << text;
  return name;
}

// Plain SGD, enough to test the loop (the library's optimizers have their
// own tests).
struct plain_sgd {
  float lr;
  template <class P>
  void step(P& p, const P& g) {
    for (std::size_t k = 0; k < p.size(); ++k) p.data()[k] -= lr * g.data()[k];
  }
};
}  // namespace

TEST_CASE("read_labeled_csv reads the digits and reports malformed lines by number") {
  const auto digits = data::read_labeled_csv(TAPELESS_DIGITS_CSV, 64, 10);
  CHECK(digits.size() == 1797);
  CHECK(digits.x.size() == 1797 * 64);
  CHECK(digits.labels[0] == 0);
  CHECK(digits.sample(0)[2] == 5);  // first line: 0,0,5,13,...

  const auto good = write_file("good.csv", "1,2,0\n\n3.5, 4 ,1\r\n");
  const auto d = data::read_labeled_csv(good, 2, 2);
  CHECK(d.size() == 2);
  CHECK(d.sample(1)[0] == 3.5f);
  CHECK(d.labels[1] == 1);

  CHECK_THROWS_WITH(data::read_labeled_csv(write_file("short.csv", "1,2,0\n1,1\n"), 2, 2),
                    "tapeless: short.csv:2: expected 3 fields, found 2");
  CHECK_THROWS_WITH(data::read_labeled_csv(write_file("nan.csv", "1,2,0\n\n1,x,1\n"), 2, 2),
                    "tapeless: nan.csv:3: field 2 is not a number: 'x'");
  CHECK_THROWS_WITH(data::read_labeled_csv(write_file("label.csv", "1,2,7\n"), 2, 2),
                    "tapeless: label.csv:1: label 7 is outside [0, 2)");
  CHECK_THROWS_WITH(data::read_labeled_csv(write_file("label2.csv", "1,2,0.5\n"), 2, 2),
                    "tapeless: label2.csv:1: the label is not an integer: '0.5'");
  CHECK_THROWS_WITH(data::read_labeled_csv("does-not-exist.csv", 2, 2),
                    "tapeless: cannot open 'does-not-exist.csv'");
}

TEST_CASE("split is a fixed permutation of the samples") {
  const auto digits = data::read_labeled_csv(TAPELESS_DIGITS_CSV, 64, 10);
  const auto a = data::split(digits, 0.8, 42), b = data::split(digits, 0.8, 42), c = data::split(digits, 0.8, 43);
  CHECK(a.train.size() == 1438);
  CHECK(a.test.size() == 359);
  CHECK(a.train.labels == b.train.labels);
  CHECK(a.train.x == b.train.x);
  CHECK(a.train.labels != c.train.labels);
  // Every sample lands in exactly one part: the label counts add up.
  std::array<int, 10> all{}, parts{};
  for (int l : digits.labels) ++all[std::size_t(l)];
  for (int l : a.train.labels) ++parts[std::size_t(l)];
  for (int l : a.test.labels) ++parts[std::size_t(l)];
  CHECK(all == parts);
}

TEST_CASE("fit_classifier: a small MLP learns the digits, reproducibly") {
  auto digits = data::read_labeled_csv(TAPELESS_DIGITS_CSV, 64, 10);
  data::scale_features(digits, 1.0f / 16);
  const auto parts = data::split(digits, 0.8, 7);

  constexpr auto logits = input<"x", vec<64>> | nn::dense<"fc1", 32> | nn::relu | nn::dense<"out", 10>;
  constexpr auto loss = nn::softmax_cross_entropy(logits, input<"y", vec<10>>);
  using P = params<decltype(loss), float>;

  auto run = [&] {
    P p;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-0.2f, 0.2f);
    for (float& v : p.span()) v = u(rng);
    plain_sgd sgd{0.1f};
    std::ostringstream progress;
    const auto history =
        train::fit_classifier(loss, logits, p, sgd, parts.train, parts.test, {.epochs = 3, .batch_size = 32, .seed = 5, .progress = &progress});
    return std::tuple{p, history, progress.str()};
  };
  const auto [p1, h1, log1] = run();
  const auto [p2, h2, log2] = run();
  CHECK(p1 == p2);  // same seed: same weights, bit for bit
  REQUIRE(h1.size() == 3);
  CHECK(h1[2].mean_loss < h1[0].mean_loss);
  CHECK(h1[2].test_accuracy > 0.85);
  CHECK(log1.find("epoch   1/3  loss ") == 0);
  CHECK(log1.find("test acc") != std::string::npos);
  MESSAGE(log1);
}

TEST_CASE("gradient_norms: one norm per parameter, in buffer order") {
  constexpr auto net = input<"x", vec<3>> | nn::dense<"a", 2> | nn::tanh | nn::dense<"b", 1>;
  constexpr auto loss = nn::half_squared_error(net, input<"y", vec<1>>);
  params<decltype(loss), double> P;
  for (std::size_t k = 0; k < P.size(); ++k) P.data()[k] = 0.1 * double(k) - 0.3;
  const auto [L, G] = value_and_grad(loss, P, bind<"x">(std::array<double, 3>{1, 2, 3}), bind<"y">(std::array<double, 1>{0.5}));
  const auto norms = train::gradient_norms(G);
  REQUIRE(norms.size() == 4);
  CHECK(norms[0].name == "a.W");
  CHECK(norms[3].name == "b.b");
  double aW = 0;
  for (double v : G.get<"a.W">()) aW += v * v;
  CHECK(norms[0].norm == doctest::Approx(std::sqrt(aW)));
  CHECK(norms[3].norm == doctest::Approx(std::abs(G.get<"b.b">()[0])));
  CHECK(L > 0);
}
