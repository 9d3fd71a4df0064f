// Elementwise binary ops (+ - * / max min) with every broadcast form:
// value, VJP and JVP against finite differences and a plain reference.

#include <algorithm>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

#include "laws.hpp"

using namespace tapeless;

namespace {
constexpr auto av = input<"a", vec<4>>;
constexpr auto bv = input<"b", vec<4>>;
constexpr auto as = input<"a", scalar>;
constexpr auto bs = input<"b", scalar>;
constexpr auto am = input<"a", mat<2, 3>>;
constexpr auto bm = input<"b", mat<2, 3>>;

// Reference for f(a, b) elementwise, broadcasting a scalar operand.
template <class F>
auto binary_reference(double (*fn)(double, double)) {
  return [fn](const laws::inputs_of<F>& X) {
    const auto a = X.template get<"a">();
    const auto b = X.template get<"b">();
    auto at = [](const auto& v, std::size_t k) {
      if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(v)>>)
        return double(v);
      else
        return double(v[k]);
    };
    std::vector<double> out;
    for (std::size_t k = 0; k < F::shape::size; ++k) out.push_back(fn(at(a, k), at(b, k)));
    return out;
  };
}

// Every broadcast form of one op. To an elementwise op a matrix is its
// elements in storage order, so the matrix forms run the laws in double
// over inputs only; the vector forms run the rest.
template <class Make>
void check_all_forms(Make make, double (*fn)(double, double), laws::options opt = {}) {
  using laws::scope;
  SUBCASE("vector, vector") { laws::check(make(av, bv), binary_reference<decltype(make(av, bv))>(fn), opt); }
  SUBCASE("scalar, vector") { laws::check(make(as, bv), binary_reference<decltype(make(as, bv))>(fn), opt); }
  SUBCASE("vector, scalar") { laws::check(make(av, bs), binary_reference<decltype(make(av, bs))>(fn), opt); }
  SUBCASE("matrix, matrix") {
    laws::check<scope::double_inputs>(make(am, bm), binary_reference<decltype(make(am, bm))>(fn), opt);
  }
  SUBCASE("scalar, matrix") {
    laws::check<scope::double_inputs>(make(as, bm), binary_reference<decltype(make(as, bm))>(fn), opt);
  }
  SUBCASE("scalar, scalar") { laws::check(make(as, bs), binary_reference<decltype(make(as, bs))>(fn), opt); }
}
}  // namespace

TEST_CASE("a + b") {
  check_all_forms([](auto a, auto b) { return a + b; }, [](double a, double b) { return a + b; });
}

TEST_CASE("a - b") {
  check_all_forms([](auto a, auto b) { return a - b; }, [](double a, double b) { return a - b; });
}

TEST_CASE("a * b (elementwise)") {
  check_all_forms([](auto a, auto b) { return hadamard(a, b); }, [](double a, double b) { return a * b; });
}

TEST_CASE("a / b") {
  // Denominators kept away from 0.
  check_all_forms([](auto a, auto b) { return a / (square(b) + 0.5_c); },
                  [](double a, double b) { return a / (b * b + 0.5); });
}

TEST_CASE("max(a, b) and min(a, b) away from ties") {
  check_all_forms([](auto a, auto b) { return max(a, b); }, [](double a, double b) { return std::max(a, b); });
  check_all_forms([](auto a, auto b) { return min(a, b); }, [](double a, double b) { return std::min(a, b); });
}

TEST_CASE("constants: scaling, offsets and compile-time folding") {
  check_all_forms([](auto a, auto b) { return 0.5_c * a - b / 4_c + 1e-1_c; },
                  [](double a, double b) { return 0.5 * a - b / 4 + 0.1; });
  // Arithmetic on two constants happens at compile time.
  static_assert(std::is_same_v<decltype(2_c * 0.25_c), expr<constant_t<1, 2>>>);
  static_assert(std::is_same_v<decltype(1_c - 3_c), expr<constant_t<-2, 1>>>);
  static_assert(std::is_same_v<decltype(-0.5_c), expr<constant_t<-1, 2>>>);
  static_assert(std::is_same_v<decltype(1_c / 3_c + 1_c / 6_c), expr<constant_t<1, 2>>>);
  // 0.1_c is exactly 1/10; in double it rounds once, to the nearest double.
  CHECK(value(0.1_c * as, bind<"a">(1.0)) == 0.1);
  CHECK(value(0.1_c * as, params<decltype(0.1_c * as), float>{}, bind<"a">(1.0f)) == 0.1f);
}
