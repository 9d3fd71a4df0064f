// Optimizers refuse a non-finite gradient (issue 11, part 3): one NaN
// gradient used to make an Adam parameter NaN for good. Now step returns
// false, P and the optimizer's state stay as they were, and
// skipped_steps() counts the step; `.skip_non_finite = false` takes it.

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>

#include <doctest/doctest.h>

#include <tapeless/optim/optim.hpp>
#include <tapeless/core.hpp>

using namespace tapeless;

namespace {

// 37 numbers: whole SIMD batches and a tail.
constexpr auto loss = dot(param<"w", vec<29>>, input<"x", vec<29>>) + sum(param<"b", vec<8>>);

template <class T>
using buffer = params<decltype(loss), T>;

template <class T>
void fill_ramp(buffer<T>& b, T scale) {
  for (std::size_t k = 0; k < b.size(); ++k) b.data()[k] = scale * T(k + 1) / T(b.size());
}

template <class T>
bool same_bits(const buffer<T>& a, const buffer<T>& b) {
  return std::memcmp(a.data(), b.data(), sizeof(T) * a.size()) == 0;
}

template <class T, class Optimizer>
void check_refuses(Optimizer& opt, auto state_of) {
  buffer<T> P, G;
  fill_ramp(P, T(1));
  fill_ramp(G, T(0.5));
  CHECK(opt.step(P, G));  // some state to keep
  for (std::size_t bad : {std::size_t(0), std::size_t(20), std::size_t(36)}) {
    for (T v : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                -std::numeric_limits<T>::infinity()}) {
      CAPTURE(bad);
      buffer<T> B = G;
      B.data()[bad] = v;
      const buffer<T> before = P;
      const buffer<T> state = state_of(opt);
      const std::size_t skipped = opt.skipped_steps();
      CHECK(!opt.step(P, B));
      CHECK(same_bits(P, before));
      CHECK(same_bits(state_of(opt), state));
      CHECK(opt.skipped_steps() == skipped + 1);
    }
  }
  CHECK(opt.step(P, G));  // a finite gradient is taken again
  for (std::size_t k = 0; k < P.size(); ++k) CHECK(std::isfinite(P.data()[k]));
}

}  // namespace

TEST_CASE_TEMPLATE("sgd refuses a non-finite gradient", T, float, double) {
  sgd<buffer<T>> plain({.lr = 0.1});
  check_refuses<T>(plain, [](const auto& o) { return o.velocity(); });
  sgd<buffer<T>> momentum({.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
  check_refuses<T>(momentum, [](const auto& o) { return o.velocity(); });
}

TEST_CASE_TEMPLATE("adam and adamw refuse a non-finite gradient, and keep their step count", T, float, double) {
  adam<buffer<T>> a({.lr = 0.01});
  check_refuses<T>(a, [](const auto& o) { return o.first_moment(); });
  check_refuses<T>(a, [](const auto& o) { return o.second_moment(); });
  CHECK(a.steps() == 4);  // two per check_refuses; the refused ones do not count
  CHECK(a.skipped_steps() == 18);
  adamw<buffer<T>> w({.lr = 0.01});
  check_refuses<T>(w, [](const auto& o) { return o.second_moment(); });
  CHECK(w.steps() == 2);
  w.reset();
  CHECK(w.skipped_steps() == 0);
}

TEST_CASE("skip_non_finite = false takes the step, as before") {
  buffer<double> P, G;
  fill_ramp(P, 1.0);
  fill_ramp(G, 1.0);
  G.data()[3] = std::numeric_limits<double>::quiet_NaN();
  adam<buffer<double>> a({.lr = 0.01, .skip_non_finite = false});
  CHECK(a.step(P, G));
  CHECK(std::isnan(P.data()[3]));
  CHECK(a.skipped_steps() == 0);
  sgd<buffer<double>> s({.lr = 0.1, .skip_non_finite = false});
  fill_ramp(P, 1.0);
  CHECK(s.step(P, G));
  CHECK(std::isnan(P.data()[3]));
}
