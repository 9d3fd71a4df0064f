// check_finite (issue 11, part 3): NaN or infinity in an input, a
// parameter or a derivative flowed through every call without a word.
// With check_finite the first one throws numeric_error naming the node, its
// position in the node list, the leaf's name and, in a batch, the sample;
// without it the calls behave as before.

#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/sample_engine.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

constexpr auto x = input<"x", vec<2>>;
constexpr auto y = input<"y">;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto loss = 0.5_c * square(dot(w2, relu(W1 * x + b1)) + b2 - y);

template <class P>
void seed_params(P& p) {
  p.template get<"W1">() = {{1, -1}, {0.5, 2}};
  p.template get<"b1">() = {0, -1};
  p.template get<"w2">() = {1, -2};
  p.template get<"b2">() = 0.5;
}

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const numeric_error& e) {
    return e.what();
  }
  return "(no numeric_error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("check_finite: a finite call gives the same numbers as without it") {
  params<decltype(loss), double> P;
  seed_params(P);
  const auto plain = value_and_grad(loss, P, bind<"x">(std::array{2.0, -1.0}), bind<"y">(1.0));
  const auto checked = value_and_grad(loss, P, check_finite, bind<"x">(std::array{2.0, -1.0}), bind<"y">(1.0));
  CHECK(plain.value == 3.125);
  CHECK(checked.value == plain.value);
  for (std::size_t k = 0; k < P.size(); ++k) CHECK(checked.grad.data()[k] == plain.grad.data()[k]);
  CHECK(value(loss, P, check_finite, bind<"x">(std::array{2.0, -1.0}), bind<"y">(1.0)) == 3.125);
}

TEST_CASE("check_finite: an infinite input is named, at its position, as the first bad node") {
  params<decltype(loss), double> P;
  seed_params(P);
  // Without the option the loss is silently non-finite.
  const auto quiet = value_and_grad(loss, P, bind<"x">(std::array{inf, -1.0}), bind<"y">(1.0));
  CHECK(!std::isfinite(quiet.value));

  try {
    (void)value_and_grad(loss, P, check_finite, bind<"x">(std::array{inf, -1.0}), bind<"y">(1.0));
    FAIL("no numeric_error");
  } catch (const numeric_error& e) {
    const std::string m = e.what();
    CHECK(contains(m, "input 'x'"));
    CHECK(contains(m, "element 0"));
    CHECK(contains(m, "inf"));
    CHECK(e.node() == detail::index_of<input_t<name_of<"x">, vec<2>>, decltype(loss)::nodes>::value);
    CHECK(e.sample() == numeric_error::npos);
    CHECK(!e.in_gradient());
  }
  CHECK(std::is_base_of_v<std::runtime_error, numeric_error>);
}

TEST_CASE("check_finite: a NaN parameter and a non-finite op are named") {
  params<decltype(loss), double> P;
  seed_params(P);
  P.get<"b1">()[1] = qnan;
  const std::string m =
      message_of([&] { (void)value(loss, P, check_finite, bind<"x">(std::array{2.0, -1.0}), bind<"y">(1.0)); });
  CHECK(contains(m, "parameter 'b1'"));
  CHECK(contains(m, "nan"));

  // An op: log of a negative number is the first non-finite value.
  constexpr auto f = log(input<"a">) + param<"c">;
  params<decltype(f), double> Q;
  Q.get<"c">() = 1;
  const std::string n = message_of([&] { (void)value_and_grad(f, Q, check_finite, bind<"a">(-1.0)); });
  CHECK(contains(n, "op log"));
  CHECK(contains(n, "nan"));
}

TEST_CASE("check_finite: a non-finite gradient names the parameter") {
  // sqrt'(0) is infinite: the value is finite, the gradient is not.
  constexpr auto f = sqrt(param<"p"> * input<"a">);
  params<decltype(f), double> P;
  P.get<"p">() = 0;
  params<decltype(f), double> G;
  const std::string m = message_of([&] { (void)value_and_grad_into(f, P, G, check_finite, bind<"a">(2.0)); });
  CHECK(contains(m, "gradient"));
  CHECK(contains(m, "parameter 'p'"));

  sample_engine<decltype(f), decltype(P)> engine;
  CHECK(contains(message_of([&] { (void)engine.value_and_grad_into(P, G, check_finite, bind<"a">(2.0)); }),
                 "parameter 'p'"));
  CHECK(contains(message_of([&] { (void)engine.value(P, check_finite, bind<"a">(-inf)); }), "input 'a'"));
  // Without the option: no exception, and an infinite gradient.
  (void)engine.value_and_grad_into(P, G, bind<"a">(2.0));
  CHECK(std::isinf(G.get<"p">()));
}

TEST_CASE("check_finite: a batch names the sample, in either layout and any engine") {
  params<decltype(loss), float> P;
  seed_params(P);
  for (std::size_t n : {1u, 3u, 17u, 40u, 100u}) {
    for (std::size_t bad = 0; bad < n; bad += 7) {
      std::vector<float> xs(2 * n), ys(n);
      for (std::size_t s = 0; s < n; ++s) {
        xs[2 * s] = float(s) / float(n);
        xs[2 * s + 1] = -1;
        ys[s] = 1;
      }
      xs[2 * bad + 1] = std::numeric_limits<float>::infinity();
      CAPTURE(n);
      CAPTURE(bad);
      using engine_t = batch_engine<decltype(loss), decltype(P)>;
      auto engine = std::make_unique<engine_t>();
      decltype(P) G;
      try {
        (void)engine->value_and_grad_into(P, G, n, mean_over_batch, check_finite, bind<"x">(aos(xs)),
                                          bind<"y">(ys));
        FAIL("no numeric_error");
      } catch (const numeric_error& e) {
        const std::string m = e.what();
        CHECK(contains(m, "input 'x'"));
        CHECK(contains(m, "element 1"));
        CHECK(contains(m, "sample " + std::to_string(bad)));
        CHECK(e.sample() == bad);
      }
      // One register per sweep (the in-register path for this small graph).
      auto small = std::make_unique<batch_engine<decltype(loss), decltype(P), 1>>();
      CHECK(contains(message_of([&] { (void)small->value(P, n, check_finite, bind<"x">(aos(xs)), bind<"y">(ys)); }),
                     "sample " + std::to_string(bad)));
      // Feature-major.
      std::vector<float> soa_x(2 * n);
      for (std::size_t s = 0; s < n; ++s) {
        soa_x[s] = xs[2 * s];
        soa_x[n + s] = xs[2 * s + 1];
      }
      CHECK(contains(message_of([&] {
                       (void)value_and_grad_batch(loss, P, n, check_finite, bind<"x">(soa(soa_x)), bind<"y">(ys));
                     }),
                     "sample " + std::to_string(bad)));
      // Without the option, the loss is silently non-finite.
      CHECK(!std::isfinite(engine->value_and_grad_into(P, G, n, bind<"x">(aos(xs)), bind<"y">(ys))));
    }
  }
}

TEST_CASE("check_finite: the batch gradient check names the parameter and the samples") {
  constexpr auto f = sqrt(param<"p"> * input<"a">);
  params<decltype(f), float> P;
  P.get<"p">() = 0;
  std::vector<float> a(50, 1.0f);
  auto engine = std::make_unique<batch_engine<decltype(f), decltype(P)>>();
  decltype(P) G;
  try {
    (void)engine->value_and_grad_into(P, G, a.size(), check_finite, bind<"a">(a));
    FAIL("no numeric_error");
  } catch (const numeric_error& e) {
    CHECK(contains(e.what(), "parameter 'p'"));
    CHECK(contains(e.what(), "in the samples 0 to"));
    CHECK(e.in_gradient());
    CHECK(e.sample() == 0);
  }
}
