// Forward mode and Jacobians on whole networks: JVP against finite
// differences and against the VJP, Jacobians from both modes, the automatic
// choice of mode, several directions per pass.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

using namespace tapeless;

namespace {
using fixtures::mixed_error;
using fixtures::random_array;
using fixtures::randomize;

constexpr auto x = input<"x", vec<6>>;
constexpr auto net = x | nn::dense<"fc1", 5> | nn::tanh | nn::dense<"fc2", 4> | nn::softplus | nn::dense<"out", 3>;

constexpr auto image_in = input<"img", image<1, 6, 6>>;
constexpr auto cnn = image_in | nn::conv2d<"c1", 2, 3, 1, 1> | nn::relu | nn::max_pool<2, 2> | nn::flatten |
                     nn::dense<"fc", 3> | nn::sigmoid;
}  // namespace

// The JVP of f along (dP, dx) against central differences, and the adjoint
// identity <J u, v> = <u, J^T v> with the VJP of a random cotangent v.
template <fixed_string Name, class F, class PS, std::size_t N>
void check_network_jvp(F f, const PS& P, const PS& dP, const std::array<double, N>& xv, const std::array<double, N>& dx,
                       double fd_tolerance) {
  constexpr std::size_t M = F::shape::size;
  const auto [y, t] = jvp(f, P, dP, bind<Name>(xv), tangent<Name>(dx));
  const double h = 1e-6;
  PS Pp = P, Pm = P;
  for (std::size_t k = 0; k < P.size(); ++k) {
    Pp.data()[k] += h * dP.data()[k];
    Pm.data()[k] -= h * dP.data()[k];
  }
  std::array<double, N> xp = xv, xm = xv;
  for (std::size_t k = 0; k < N; ++k) {
    xp[k] += h * dx[k];
    xm[k] -= h * dx[k];
  }
  const auto up = value(f, Pp, bind<Name>(xp)), down = value(f, Pm, bind<Name>(xm));
  for (std::size_t i = 0; i < M; ++i) {
    CAPTURE(i);
    CHECK(mixed_error(t[i], (up[i] - down[i]) / (2 * h)) <= fd_tolerance);
  }
  const auto v = random_array<M>(99);
  const auto back = vjp(f, P, v, bind<Name>(xv));
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < M; ++i) lhs += t[i] * v[i];
  for (std::size_t k = 0; k < P.size(); ++k) rhs += dP.data()[k] * back.grad.data()[k];
  for (std::size_t k = 0; k < N; ++k) rhs += dx[k] * back.input_grad.template get<Name>()[k];
  CHECK(mixed_error(lhs, rhs) <= 1e-14);
}

TEST_CASE("jvp of a whole network: finite differences, and <J u, v> = <u, J^T v>") {
  params<decltype(net), double> P, dP;
  randomize(P, 1);
  randomize(dP, 2, 1.0);
  check_network_jvp<"x">(net, P, dP, random_array<6>(3), random_array<6>(4), 1e-8);
}

TEST_CASE("jvp of a CNN: finite differences and the adjoint identity") {
  params<decltype(cnn), double> P, dP;
  randomize(P, 5);
  randomize(dP, 6, 1.0);
  check_network_jvp<"img">(cnn, P, dP, random_array<36>(7), random_array<36>(8), 1e-7);
}

TEST_CASE("the automatic mode takes min(n, m) sweeps, and either mode can be forced") {
  constexpr auto wide_in = input<"x", vec<40>>;
  constexpr auto wide = tanh(param<"A", mat<3, 40>> * wide_in);  // n = 40 ≫ m = 3
  constexpr auto tall_in = input<"x", vec<2>>;
  constexpr auto tall = tanh(param<"B", mat<50, 2>> * tall_in);  // n = 2 ≪ m = 50
  constexpr auto square = tanh(param<"C", mat<4, 4>> * input<"x", vec<4>>);

  params<decltype(wide)> PA;
  params<decltype(tall)> PB;
  params<decltype(square)> PC;
  randomize(PA, 10);
  randomize(PB, 11);
  randomize(PC, 12);
  const auto xw = random_array<40>(13);
  const auto xt = random_array<2>(14);
  const auto xs = random_array<4>(15);

  const auto Jw = jacobian(wide, PA, wrt<"x">, bind<"x">(xw));
  const auto Jt = jacobian(tall, PB, wrt<"x">, bind<"x">(xt));
  const auto Js = jacobian(square, PC, wrt<"x">, bind<"x">(xs));
  static_assert(decltype(Jw)::mode == sweep_mode::reverse && decltype(Jw)::sweeps == 3);
  static_assert(decltype(Jt)::mode == sweep_mode::forward && decltype(Jt)::sweeps == 2);
  static_assert(decltype(Js)::mode == sweep_mode::reverse && decltype(Js)::sweeps == 4);  // a tie: reverse
  CHECK(Jw.passes_run == decltype(Jw)::passes);
  CHECK(Jt.passes_run == decltype(Jt)::passes);
  CHECK(Jw.passes_run == (3 + decltype(Jw)::lanes - 1) / decltype(Jw)::lanes);

  const auto Jw_forward = jacobian<sweep_mode::forward>(wide, PA, wrt<"x">, bind<"x">(xw));
  const auto Jt_reverse = jacobian<sweep_mode::reverse>(tall, PB, wrt<"x">, bind<"x">(xt));
  static_assert(decltype(Jw_forward)::sweeps == 40 && decltype(Jt_reverse)::sweeps == 50);
  // Lanes per pass depend on the number of directions (jacobian_lanes_test.cpp).
  CHECK(Jw_forward.passes_run == (40 + decltype(Jw_forward)::lanes - 1) / decltype(Jw_forward)::lanes);
  CHECK(Jt_reverse.passes_run == (50 + decltype(Jt_reverse)::lanes - 1) / decltype(Jt_reverse)::lanes);
  CHECK(Jw_forward.matrix == Jw.matrix);  // forward: one product per entry, same rounding
  for (std::size_t i = 0; i < 50; ++i)
    for (std::size_t j = 0; j < 2; ++j) CHECK(mixed_error(Jt_reverse.matrix(i, j), Jt.matrix(i, j)) <= 1e-15);

  // The entries are the known derivatives of tanh(A x): (1 - y_i²) A_ij.
  const auto y = value(wide, PA, bind<"x">(xw));
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 40; ++j)
      CHECK(mixed_error(Jw.matrix(i, j), (1 - y[i] * y[i]) * PA.get<"A">()(i, j)) <= 1e-15);
}

TEST_CASE("Jacobians with respect to inputs and parameters: both modes and finite differences agree") {
  params<decltype(net), double> P;
  randomize(P, 20);
  const auto xv = random_array<6>(21);
  // n = 6 + 20 + 3 = 29 entries: x, then fc2.W (4×5), then out.b.
  const auto Jf = jacobian<sweep_mode::forward>(net, P, wrt<"x", "fc2.W", "out.b">, bind<"x">(xv));
  const auto Jr = jacobian<sweep_mode::reverse>(net, P, wrt<"x", "fc2.W", "out.b">, bind<"x">(xv));
  static_assert(decltype(Jf)::rows == 3 && decltype(Jf)::cols == 29);
  CHECK(Jf.value == Jr.value);
  CHECK(Jf.value == value(net, P, bind<"x">(xv)));

  const double h = 1e-6;
  for (std::size_t j = 0; j < 29; ++j) {
    auto Pp = P, Pm = P;
    auto xp = xv, xm = xv;
    if (j < 6) {
      xp[j] += h;
      xm[j] -= h;
    } else if (j < 26) {
      Pp.get<"fc2.W">()[j - 6] += h;
      Pm.get<"fc2.W">()[j - 6] -= h;
    } else {
      Pp.get<"out.b">()[j - 26] += h;
      Pm.get<"out.b">()[j - 26] -= h;
    }
    const auto up = value(net, Pp, bind<"x">(xp)), down = value(net, Pm, bind<"x">(xm));
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(mixed_error(Jf.matrix(i, j), (up[i] - down[i]) / (2 * h)) <= 1e-8);
      CHECK(mixed_error(Jr.matrix(i, j), Jf.matrix(i, j)) <= 1e-14);
    }
  }
}

TEST_CASE("Jacobian of a CNN's output with respect to its image: both modes agree") {
  params<decltype(cnn), double> P;
  randomize(P, 30);
  const auto img = random_array<36>(31);
  const auto Jf = jacobian<sweep_mode::forward>(cnn, P, wrt<"img">, bind<"img">(img));
  const auto Jr = jacobian(cnn, P, wrt<"img">, bind<"img">(img));
  static_assert(decltype(Jr)::mode == sweep_mode::reverse);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 36; ++j) CHECK(mixed_error(Jr.matrix(i, j), Jf.matrix(i, j)) <= 1e-14);
}

TEST_CASE("jvp along the columns of a matrix equals one jvp per column, in fewer passes") {
  params<decltype(net), double> P;
  randomize(P, 40);
  const auto xv = random_array<6>(41);
  tensor<double, mat<6, 11>> D;
  const auto entries = random_array<66>(42);
  for (std::size_t k = 0; k < 66; ++k) D[k] = entries[k];

  const auto many = jvp(net, P, wrt<"x">, D, bind<"x">(xv));
  for (std::size_t k = 0; k < 11; ++k) {
    std::array<double, 6> d;
    for (std::size_t j = 0; j < 6; ++j) d[j] = D(j, k);
    const auto one = jvp(net, P, bind<"x">(xv), tangent<"x">(d));
    for (std::size_t i = 0; i < 3; ++i) CHECK(mixed_error(many.tangent(i, k), one.tangent[i]) <= 1e-14);
  }
  CHECK(many.value == value(net, P, bind<"x">(xv)));
}

TEST_CASE("float Jacobians agree with double ones to float precision") {
  params<decltype(net), double> P;
  randomize(P, 50);
  params<decltype(net), float> Pf;
  for (std::size_t k = 0; k < P.size(); ++k) Pf.data()[k] = float(P.data()[k]);
  const auto xv = random_array<6>(51);
  std::array<float, 6> xf;
  for (std::size_t k = 0; k < 6; ++k) xf[k] = float(xv[k]);
  const auto J = jacobian(net, P, wrt<"x">, bind<"x">(xv));
  const auto Jf = jacobian<sweep_mode::forward>(net, Pf, wrt<"x">, bind<"x">(xf));
  const auto Jr = jacobian<sweep_mode::reverse>(net, Pf, wrt<"x">, bind<"x">(xf));
  for (std::size_t k = 0; k < 18; ++k) {
    CHECK(mixed_error(Jf.matrix[k], J.matrix[k]) <= 1e-5);
    CHECK(mixed_error(Jr.matrix[k], J.matrix[k]) <= 1e-5);
  }
}
