// The number type of a Jacobian's passes (eval/wrt.hpp, direction_number):
// one plain number for one direction, narrower registers for fewer
// directions than the widest holds, several registers for more. The choice
// is observable as decltype(J)::lanes, and each choice gives the matrix of
// the one-register path it replaces, to rounding: the op rules do the same
// operations per lane, but whether a multiply and an add are fused can
// depend on the register width (clang 14 with xsimd 8.1 fuses them in
// 256-bit registers, not in 512-bit ones).

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

using namespace tapeless;

namespace {
using fixtures::mixed_error;
using fixtures::random_array;
using fixtures::randomize;

template <std::size_t N, std::size_t M>
constexpr auto small_map() {
  constexpr auto x = input<"x", vec<N>>;
  return param<"W2", mat<M, 5>> * tanh(param<"W1", mat<5, N>> * x + param<"b1", vec<5>>);
}

template <class E>
constexpr std::size_t widest = xsimd::batch<E>::size;

// What jacobian() promises about lanes for D directions in E.
template <class E, std::size_t D, std::size_t Lanes, bool Reverse>
constexpr bool lanes_as_documented() {
  constexpr std::size_t W = widest<E>, cap = Reverse ? 128 : 512;
  if constexpr (D == 1)
    return Lanes == 1;
  else if constexpr (D <= W)  // one pass, in registers no wider than the widest
    return Lanes >= D && Lanes <= W && (Lanes == W || Lanes * sizeof(E) == 16 || Lanes * sizeof(E) == 32);
  else  // whole widest registers, as many as hold D, within the cap
    return Lanes % W == 0 && Lanes * sizeof(E) <= std::max(cap, W * sizeof(E)) &&
           (Lanes >= D || Lanes * sizeof(E) + W * sizeof(E) > cap);
}

// The same Jacobian in one widest register per pass (the path before the
// choice of number) and as jacobian() chooses.
template <sweep_mode Mode, class F, class PS, class... Names, class... B>
void check_against_one_register(F f, const PS& P, wrt_t<Names...> w, const B&... bindings) {
  using E = typename PS::element_type;
  const auto chosen = jacobian<Mode>(f, P, w, bindings...);
  const auto wide = detail::jacobian_in<Mode, detail::direction_pack<E>, F>(P, w, bindings...);
  using C = decltype(chosen);
  using R = decltype(wide);
  static_assert(R::lanes == widest<E> && C::mode == Mode && C::sweeps == R::sweeps);
  static_assert(lanes_as_documented<E, C::sweeps, C::lanes, Mode == sweep_mode::reverse>());
  static_assert(C::passes == (C::sweeps + C::lanes - 1) / C::lanes);
  CHECK(chosen.passes_run == C::passes);
  CHECK(wide.passes_run == R::passes);
  CAPTURE(C::lanes);
  CAPTURE(C::sweeps);
  const double tolerance = sizeof(E) == sizeof(float) ? 1e-6 : 1e-14;
  for (std::size_t i = 0; i < C::rows; ++i) CHECK(mixed_error(chosen.value[i], wide.value[i]) <= tolerance);
  for (std::size_t k = 0; k < C::rows * C::cols; ++k)
    CHECK(mixed_error(chosen.matrix[k], wide.matrix[k]) <= tolerance);
}

template <std::size_t N, std::size_t M, class E = double>
void check_shape(unsigned seed) {
  constexpr auto f = small_map<N, M>();
  params<decltype(f), E> P;
  randomize(P, seed);
  std::array<E, N> x;
  const auto xd = random_array<N>(seed + 1);
  for (std::size_t j = 0; j < N; ++j) x[j] = E(xd[j]);
  CAPTURE(N);
  CAPTURE(M);
  check_against_one_register<sweep_mode::forward>(f, P, wrt<"x">, bind<"x">(x));
  check_against_one_register<sweep_mode::reverse>(f, P, wrt<"x">, bind<"x">(x));
}
}  // namespace

TEST_CASE("one direction runs in plain numbers, a few in a narrower register, many in several registers") {
  constexpr std::size_t W = widest<double>;
  constexpr auto tall = small_map<1, 7>();  // n = 1: one forward direction
  constexpr auto wide = small_map<7, 1>();  // m = 1: one reverse direction
  constexpr auto three = small_map<3, 9>();
  constexpr auto many = small_map<2 * W + 1, 40>();
  constexpr auto six = small_map<9, 6>();  // reverse, 6 directions
  params<decltype(tall)> PT;
  params<decltype(wide)> PW;
  params<decltype(three)> P3;
  params<decltype(many)> PM;
  params<decltype(six)> P6;
  const auto x1 = random_array<1>(1);
  const auto x7 = random_array<7>(2);
  const auto x3 = random_array<3>(3);
  const auto xm = random_array<2 * W + 1>(4);

  const auto Jt = jacobian(tall, PT, wrt<"x">, bind<"x">(x1));
  const auto Jw = jacobian(wide, PW, wrt<"x">, bind<"x">(x7));
  const auto J3 = jacobian(three, P3, wrt<"x">, bind<"x">(x3));
  const auto Jm = jacobian(many, PM, wrt<"x">, bind<"x">(xm));
  const auto J6 = jacobian(six, P6, wrt<"x">, bind<"x">(random_array<9>(5)));
  static_assert(decltype(Jt)::mode == sweep_mode::forward && decltype(Jt)::lanes == 1);
  static_assert(decltype(Jw)::mode == sweep_mode::reverse && decltype(Jw)::lanes == 1);
  static_assert(decltype(J3)::mode == sweep_mode::forward && decltype(J3)::passes == 1);
  static_assert(lanes_as_documented<double, 3, decltype(J3)::lanes, false>());
  static_assert(decltype(Jm)::sweeps == 2 * W + 1 && decltype(Jm)::lanes % W == 0);
  // AVX-512: a 256-bit register for 3 doubles, 3 of 512 bits for 17
  // forward directions.
  static_assert(W != 8 || decltype(J3)::lanes == 4);
  static_assert(W != 8 || (decltype(Jm)::lanes == 24 && decltype(Jm)::passes == 1));
  // Reverse, 6 directions: two 256-bit registers (the matrix-product rules'
  // register-blocked forms take numbers of several registers).
  static_assert(decltype(J6)::mode == sweep_mode::reverse);
  static_assert(lanes_as_documented<double, 6, decltype(J6)::lanes, true>());
  static_assert(W != 8 || decltype(J6)::lanes == 8);
  CHECK(Jt.passes_run == 1);
  CHECK(Jw.passes_run == 1);
  CHECK(J3.passes_run == 1);
  CHECK(Jm.passes_run == decltype(Jm)::passes);
  CHECK(J6.passes_run == 1);

  // Floats: twice the lanes per register.
  params<decltype(three), float> P3f;
  const std::array<float, 3> x3f{0.5f, -0.25f, 1.0f};
  const auto J3f = jacobian(three, P3f, wrt<"x">, bind<"x">(x3f));
  static_assert(lanes_as_documented<float, 3, decltype(J3f)::lanes, false>());
}

TEST_CASE("every number of directions gives the one-register matrix, forward and reverse") {
  constexpr std::size_t W = widest<double>;
  check_shape<1, 3>(10);
  check_shape<2, 2>(11);
  check_shape<3, 5>(12);
  check_shape<W / 2 + 1, W / 2 + 1>(13);
  check_shape<W, W>(14);
  check_shape<W + 1, W + 3>(15);
  check_shape<2 * W + 3, 2 * W + 5>(16);  // several registers; reverse: 2 passes where 128 bytes hold fewer
  check_shape<5 * W + 1, 3>(17);
  check_shape<3, 5 * W + 1>(18);
  check_shape<4, 4, float>(19);
  check_shape<2 * widest<float> + 1, 9, float>(20);
}

TEST_CASE("reverse passes clear what the previous pass accumulated: parameters and inputs, inactive nodes between") {
  // n = 6 + 5 = 11 (x and b1), m = 40 outputs: several reverse passes. The
  // nodes W1 x and W3 x do not depend on b1 and are not cleared or read.
  constexpr auto x = input<"x", vec<6>>;
  constexpr auto f = param<"W2", mat<40, 5>> * tanh(param<"W1", mat<5, 6>> * x + param<"b1", vec<5>>) +
                     param<"W3", mat<40, 6>> * x;
  params<decltype(f)> P;
  randomize(P, 30);
  const auto xv = random_array<6>(31);
  check_against_one_register<sweep_mode::reverse>(f, P, wrt<"x", "b1">, bind<"x">(xv));
  check_against_one_register<sweep_mode::reverse>(f, P, wrt<"b1">, bind<"x">(xv));
  check_against_one_register<sweep_mode::forward>(f, P, wrt<"b1", "x">, bind<"x">(xv));

  // And the entries themselves: ∂f_i/∂b1_k = W2(i, k) (1 - h_k²).
  const auto J = jacobian<sweep_mode::reverse>(f, P, wrt<"b1">, bind<"x">(xv));
  static_assert(decltype(J)::rows == 40 && decltype(J)::cols == 5);
  CHECK(J.passes_run == decltype(J)::passes);
  const auto h = value(tanh(param<"W1", mat<5, 6>> * x + param<"b1", vec<5>>), P, bind<"x">(xv));
  for (std::size_t i = 0; i < 40; ++i)
    for (std::size_t k = 0; k < 5; ++k)
      CHECK(mixed_error(J.matrix(i, k), P.get<"W2">()(i, k) * (1 - h[k] * h[k])) <= 1e-15);
}

TEST_CASE("with respect to a parameter of a later layer: only its entries are cleared between passes") {
  constexpr auto f = small_map<4, 40>();
  params<decltype(f)> P;
  randomize(P, 40);
  const auto xv = random_array<4>(41);
  // ∂f_i/∂W2(k, l) = δ_ik h_l: 40 × 200, reverse, several passes.
  const auto J = jacobian<sweep_mode::reverse>(f, P, wrt<"W2">, bind<"x">(xv));
  CHECK(J.passes_run == decltype(J)::passes);
  const auto h = value(tanh(param<"W1", mat<5, 4>> * input<"x", vec<4>> + param<"b1", vec<5>>), P, bind<"x">(xv));
  for (std::size_t i = 0; i < 40; ++i)
    for (std::size_t k = 0; k < 40; ++k)
      for (std::size_t l = 0; l < 5; ++l) CHECK(J.matrix(i, k * 5 + l) == (i == k ? h[l] : 0.0));
}

TEST_CASE("jvp with many directions picks its number the same way") {
  constexpr auto f = small_map<6, 3>();
  params<decltype(f)> P;
  randomize(P, 50);
  const auto xv = random_array<6>(51);
  tensor<double, mat<6, 1>> one;
  tensor<double, mat<6, 3>> three;
  const auto entries = random_array<18>(52);
  for (std::size_t k = 0; k < 18; ++k) three[k] = entries[k];
  for (std::size_t j = 0; j < 6; ++j) one(j, 0) = three(j, 0);
  const auto r1 = jvp(f, P, wrt<"x">, one, bind<"x">(xv));
  const auto r3 = jvp(f, P, wrt<"x">, three, bind<"x">(xv));
  static_assert(decltype(r1)::lanes == 1);
  static_assert(lanes_as_documented<double, 3, decltype(r3)::lanes, false>());
  CHECK(r1.passes_run == 1);
  CHECK(r3.passes_run == 1);
  for (std::size_t i = 0; i < 3; ++i) CHECK(mixed_error(r1.tangent(i, 0), r3.tangent(i, 0)) <= 1e-15);
}

TEST_CASE("a parameter among the wrt names of a larger network: one register per number where more would not fit") {
  // 9,720 parameter entries, each with a tangent: 8 AVX-512 registers each
  // would take 5 MB of stack, over the limit; one register takes 620 kB.
  constexpr auto x = input<"x", vec<80>>;
  constexpr auto f = param<"A", mat<120, 80>> * x + param<"b", vec<120>>;
  params<decltype(f)> P;
  randomize(P, 60);
  const auto xv = random_array<80>(61);
  const auto J = jacobian<sweep_mode::forward>(f, P, wrt<"b">, bind<"x">(xv));
  static_assert(decltype(J)::sweeps == 120 && decltype(J)::lanes <= widest<double>);
  CHECK(J.passes_run == decltype(J)::passes);
  for (std::size_t i = 0; i < 120; ++i)
    for (std::size_t k = 0; k < 120; ++k) CHECK(J.matrix(i, k) == (i == k ? 1.0 : 0.0));
}

// f = A h with A independent of the wrt variables: reverse passes start at
// h, seeded with rows of A (eval/jacobian.hpp, root_matvec), instead of
// pulling unit vectors through A. Checked against the closed form and
// against forward mode, which does not take that path, for one pass, a
// partial last pass and several passes; and the paths that do not take it
// (A among the wrt names) or take it with an input as the matrix or with
// the wrt input itself as the vector.
template <std::size_t N, std::size_t M>
void check_root_product(unsigned seed) {
  constexpr auto f = small_map<N, M>();
  params<decltype(f)> P;
  randomize(P, seed);
  const auto xv = random_array<N>(seed + 1);
  const auto rev = jacobian<sweep_mode::reverse>(f, P, wrt<"x">, bind<"x">(xv));
  const auto fwd = jacobian<sweep_mode::forward>(f, P, wrt<"x">, bind<"x">(xv));
  CAPTURE(N);
  CAPTURE(M);
  CHECK(rev.passes_run == decltype(rev)::passes);
  const auto W1 = P.template get<"W1">();
  const auto b1 = P.template get<"b1">();
  const auto W2 = P.template get<"W2">();
  std::array<double, 5> d{};
  for (std::size_t k = 0; k < 5; ++k) {
    double z = b1[k];
    for (std::size_t j = 0; j < N; ++j) z += W1(k, j) * xv[j];
    d[k] = 1 - std::tanh(z) * std::tanh(z);
  }
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      double e = 0;
      for (std::size_t k = 0; k < 5; ++k) e += W2(i, k) * d[k] * W1(k, j);
      CHECK(mixed_error(rev.matrix(i, j), e) <= 1e-14);
      CHECK(mixed_error(rev.matrix(i, j), fwd.matrix(i, j)) <= 1e-14);
    }
}

TEST_CASE("a matrix-vector product at the root: reverse passes seeded with the matrix's rows") {
  constexpr std::size_t W = widest<double>;
  check_root_product<7, 1>(70);
  check_root_product<7, 3>(71);
  check_root_product<9, W + 2>(72);           // one pass of two registers, partly used
  check_root_product<4, 2 * W + 5>(73);       // several passes, the last partial
  check_root_product<3, 4 * W>(74);           // several full passes

  // A among the wrt names: the product's VJP runs (A's adjoint is needed).
  constexpr auto f = small_map<4, 6>();
  params<decltype(f)> P;
  randomize(P, 75);
  const auto xv = random_array<4>(76);
  const auto both = jacobian<sweep_mode::reverse>(f, P, wrt<"x", "W2">, bind<"x">(xv));
  const auto both_fwd = jacobian<sweep_mode::forward>(f, P, wrt<"x", "W2">, bind<"x">(xv));
  for (std::size_t k = 0; k < 6 * (4 + 30); ++k) CHECK(mixed_error(both.matrix[k], both_fwd.matrix[k]) <= 1e-14);

  // The matrix an input, the vector the wrt input itself: J = A.
  constexpr auto A = input<"A", mat<2 * W + 3, 5>>;
  constexpr auto g = A * input<"x", vec<5>>;
  tensor<double, mat<2 * W + 3, 5>> Av;
  const auto entries = random_array<(2 * W + 3) * 5>(77);
  for (std::size_t k = 0; k < Av.size(); ++k) Av[k] = entries[k];
  const auto J = jacobian<sweep_mode::reverse>(g, wrt<"x">, bind<"A">(Av), bind<"x">(random_array<5>(78)));
  CHECK(J.passes_run == decltype(J)::passes);
  for (std::size_t k = 0; k < Av.size(); ++k) CHECK(J.matrix[k] == Av[k]);
}
