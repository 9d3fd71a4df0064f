// Hessian-vector products and Hessians by forward-over-reverse: against
// finite differences of gradients, symmetry, and Hessians known exactly.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

using namespace tapeless;

namespace {
using fixtures::mixed_error;
using fixtures::random_array;
using fixtures::randomize;

constexpr auto x = input<"x", vec<5>>;
constexpr auto label = input<"y", vec<3>>;
constexpr auto logits = x | nn::dense<"fc1", 4> | nn::tanh | nn::dense<"fc2", 3>;
constexpr auto loss = nn::softmax_cross_entropy(logits, label);
using P_t = params<decltype(loss), double>;
const std::array<double, 3> one_hot{0, 0, 1};
}  // namespace

TEST_CASE("hvp in parameter space equals finite differences of the gradient") {
  P_t P, V;
  randomize(P, 1);
  randomize(V, 2, 1.0);
  const auto xv = random_array<5>(3);
  const auto r = hvp(loss, P, V, bind<"x">(xv), bind<"y">(one_hot));

  // Value and gradient are the ordinary ones.
  const auto [L, g] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(one_hot));
  CHECK(r.value == doctest::Approx(L).epsilon(1e-15));
  for (std::size_t k = 0; k < P.size(); ++k) CHECK(mixed_error(r.grad.data()[k], g.data()[k]) <= 1e-15);

  const double h = 1e-5;
  P_t Pp = P, Pm = P;
  for (std::size_t k = 0; k < P.size(); ++k) {
    Pp.data()[k] += h * V.data()[k];
    Pm.data()[k] -= h * V.data()[k];
  }
  const auto gp = value_and_grad(loss, Pp, bind<"x">(xv), bind<"y">(one_hot)).grad;
  const auto gm = value_and_grad(loss, Pm, bind<"x">(xv), bind<"y">(one_hot)).grad;
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(mixed_error(r.hvp.data()[k], (gp.data()[k] - gm.data()[k]) / (2 * h)) <= 1e-8);
  }
}

TEST_CASE("hvp along an input direction, and linearity in the direction") {
  P_t P, V, zero;
  randomize(P, 4);
  randomize(V, 5, 1.0);
  zero.fill(0);
  const auto xv = random_array<5>(6), dx = random_array<5>(7);

  const auto in_x = hvp(loss, P, bind<"x">(xv), bind<"y">(one_hot), tangent<"x">(dx));
  const double h = 1e-5;
  auto xp = xv, xm = xv;
  for (std::size_t k = 0; k < 5; ++k) {
    xp[k] += h * dx[k];
    xm[k] -= h * dx[k];
  }
  const auto up = value_and_grad(loss, P, wrt_inputs, bind<"x">(xp), bind<"y">(one_hot));
  const auto down = value_and_grad(loss, P, wrt_inputs, bind<"x">(xm), bind<"y">(one_hot));
  for (std::size_t k = 0; k < P.size(); ++k)
    CHECK(mixed_error(in_x.hvp.data()[k], (up.grad.data()[k] - down.grad.data()[k]) / (2 * h)) <= 1e-8);
  for (std::size_t k = 0; k < 5; ++k)
    CHECK(mixed_error(in_x.input_hvp.get<"x">()[k],
                      (up.input_grad.get<"x">()[k] - down.input_grad.get<"x">()[k]) / (2 * h)) <= 1e-8);

  // H (v, dx) = H (v, 0) + H (0, dx).
  const auto both = hvp(loss, P, V, bind<"x">(xv), bind<"y">(one_hot), tangent<"x">(dx));
  const auto in_p = hvp(loss, P, V, bind<"x">(xv), bind<"y">(one_hot));
  const auto in_x_again = hvp(loss, P, zero, bind<"x">(xv), bind<"y">(one_hot), tangent<"x">(dx));
  for (std::size_t k = 0; k < P.size(); ++k) {
    CHECK(mixed_error(both.hvp.data()[k], in_p.hvp.data()[k] + in_x.hvp.data()[k]) <= 1e-14);
    CHECK(mixed_error(in_x_again.hvp.data()[k], in_x.hvp.data()[k]) <= 1e-15);
  }
}

TEST_CASE("the Hessian of a quadratic form is exact") {
  // f = ½ xᵀ A x + bᵀ x with dyadic entries: every product and sum in the
  // sweeps is exact, so H = (A + Aᵀ)/2 and ∇f = H x + b bit for bit.
  constexpr auto xq = input<"x", vec<4>>;
  constexpr auto A = input<"A", mat<4, 4>>;
  constexpr auto b = input<"b", vec<4>>;
  constexpr auto f = 0.5_c * dot(xq, A * xq) + dot(b, xq);
  std::array<double, 16> Av;
  std::array<double, 4> bv, xv;
  for (std::size_t k = 0; k < 16; ++k) Av[k] = double(int(k * 7 % 11) - 5) / 8;
  for (std::size_t k = 0; k < 4; ++k) {
    bv[k] = double(int(k) - 2) / 4;
    xv[k] = double(int(3 * k % 5) - 2) / 2;
  }
  const auto H = hessian(f, wrt<"x">, bind<"x">(xv), bind<"A">(Av), bind<"b">(bv));
  static_assert(decltype(H)::sweeps == 4);
  CHECK(H.passes_run == decltype(H)::passes);
  for (std::size_t i = 0; i < 4; ++i) {
    double gradient = bv[i];
    for (std::size_t j = 0; j < 4; ++j) {
      const double expected = (Av[i * 4 + j] + Av[j * 4 + i]) / 2;
      CHECK(H.matrix(i, j) == expected);
      gradient += expected * xv[j];
    }
    CHECK(H.grad[i] == gradient);
  }

  // With respect to x and A together: f is linear in A (zero block), and
  // ∂²f/∂x_i∂A_jk = ½ (δ_ij x_k + δ_ik x_j).
  const auto HA = hessian(f, wrt<"x", "A">, bind<"x">(xv), bind<"A">(Av), bind<"b">(bv));
  static_assert(decltype(HA)::sweeps == 20);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t jk = 0; jk < 16; ++jk) {
      const std::size_t j = jk / 4, k = jk % 4;
      const double expected = 0.5 * ((i == j ? xv[k] : 0.0) + (i == k ? xv[j] : 0.0));
      CHECK(HA.matrix(i, 4 + jk) == expected);
      CHECK(HA.matrix(4 + jk, i) == expected);
    }
  for (std::size_t a = 4; a < 20; ++a)
    for (std::size_t c = 4; c < 20; ++c) CHECK(HA.matrix(a, c) == 0);
}

TEST_CASE("Hessians at x = 0 and at ties use each op's own derivative (its JVP rule on dual numbers)") {
  // sigmoid and softplus compute their values through |x|, whose tangent
  // at 0 is 0: differentiating those formulas instead of using the ops'
  // rules would give sigmoid'(0) = softplus'(0) = 0 and lose the
  // first-derivative terms below. max at a tie routes half to each side
  // (ops/max.hpp).
  constexpr auto x = input<"x">;
  const double s = 1 / (1 + std::exp(0.0)), sp = std::log(2.0);
  const auto H1 = hessian(square(sigmoid(x)), wrt<"x">, bind<"x">(0.0));
  CHECK(H1.matrix(0, 0) == doctest::Approx(2 * (s * (1 - s)) * (s * (1 - s))));  // 2σ'² + 2σσ'', σ''(0) = 0
  const auto H2 = hessian(square(softplus(x)), wrt<"x">, bind<"x">(0.0));
  CHECK(H2.matrix(0, 0) == doctest::Approx(2 * 0.25 + 2 * sp * 0.25));  // 2 sp'² + 2 sp sp''
  constexpr auto u = input<"u">;
  const auto H3 = hessian(square(max(x, u)), wrt<"x", "u">, bind<"x">(1.0), bind<"u">(1.0));
  // y = max(x, u) has ∂y = (½, ½) at the tie; the Hessian of y² is 2 ∂y ∂yᵀ.
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j) CHECK(H3.matrix(i, j) == doctest::Approx(0.5));
}

TEST_CASE("the Hessian of Rosenbrock's function matches its closed form") {
  constexpr auto x0 = input<"x0">;
  constexpr auto x1 = input<"x1">;
  constexpr auto f = square(1_c - x0) + 100_c * square(x1 - square(x0));
  for (const auto& [a, b] : {std::pair{-1.2, 1.0}, {1.0, 1.0}, {0.3, -0.7}}) {
    const auto H = hessian(f, wrt<"x0", "x1">, bind<"x0">(a), bind<"x1">(b));
    CHECK(H.matrix(0, 0) == doctest::Approx(2 - 400 * (b - a * a) + 800 * a * a).epsilon(1e-14));
    CHECK(H.matrix(0, 1) == doctest::Approx(-400 * a).epsilon(1e-14));
    CHECK(H.matrix(1, 0) == doctest::Approx(-400 * a).epsilon(1e-14));
    CHECK(H.matrix(1, 1) == 200);
    CHECK(H.grad[0] == doctest::Approx(-2 * (1 - a) - 400 * a * (b - a * a)).epsilon(1e-14));
    CHECK(H.grad[1] == doctest::Approx(200 * (b - a * a)).epsilon(1e-14));
  }
}

TEST_CASE("a network's Hessian: symmetric to rounding, equal to FD of gradients and to hvp columns") {
  P_t P;
  randomize(P, 8);
  const auto xv = random_array<5>(9);
  // n = 5 + 4 + 12 = 21: the input, the first bias, the second weights.
  const auto H = hessian(loss, P, wrt<"x", "fc1.b", "fc2.W">, bind<"x">(xv), bind<"y">(one_hot));
  static_assert(decltype(H)::sweeps == 21);
  CHECK(H.passes_run == decltype(H)::passes);
  double largest = 0;
  for (std::size_t i = 0; i < 21; ++i)
    for (std::size_t j = 0; j < 21; ++j) {
      CHECK(mixed_error(H.matrix(i, j), H.matrix(j, i)) <= 1e-15);
      largest = std::max(largest, std::abs(H.matrix(i, j)));
    }
  CHECK(largest > 0.01);  // not trivially zero

  // Column j against central differences of the gradient along entry j.
  auto gradient_at = [&](const P_t& Q, const std::array<double, 5>& xq) {
    const auto r = value_and_grad(loss, Q, wrt_inputs, bind<"x">(xq), bind<"y">(one_hot));
    std::array<double, 21> g;
    for (std::size_t k = 0; k < 5; ++k) g[k] = r.input_grad.get<"x">()[k];
    for (std::size_t k = 0; k < 4; ++k) g[5 + k] = r.grad.get<"fc1.b">()[k];
    for (std::size_t k = 0; k < 12; ++k) g[9 + k] = r.grad.get<"fc2.W">()[k];
    return g;
  };
  const double h = 1e-5;
  for (std::size_t j = 0; j < 21; ++j) {
    P_t Pp = P, Pm = P;
    auto xp = xv, xm = xv;
    if (j < 5) {
      xp[j] += h;
      xm[j] -= h;
    } else if (j < 9) {
      Pp.get<"fc1.b">()[j - 5] += h;
      Pm.get<"fc1.b">()[j - 5] -= h;
    } else {
      Pp.get<"fc2.W">()[j - 9] += h;
      Pm.get<"fc2.W">()[j - 9] -= h;
    }
    const auto gp = gradient_at(Pp, xp), gm = gradient_at(Pm, xm);
    for (std::size_t i = 0; i < 21; ++i) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(mixed_error(H.matrix(i, j), (gp[i] - gm[i]) / (2 * h)) <= 1e-8);
    }
  }

  // hvp with the direction e_(fc2.W, entry 3) gives that column.
  P_t V;
  V.fill(0);
  V.get<"fc2.W">()[3] = 1;
  const auto r = hvp(loss, P, V, bind<"x">(xv), bind<"y">(one_hot));
  for (std::size_t k = 0; k < 5; ++k) CHECK(mixed_error(r.input_hvp.get<"x">()[k], H.matrix(k, 12)) <= 1e-15);
  for (std::size_t k = 0; k < 12; ++k) CHECK(mixed_error(r.hvp.get<"fc2.W">()[k], H.matrix(9 + k, 12)) <= 1e-15);
}

TEST_CASE("dual numbers through the value rules agree with the tangent rules away from kinks") {
  // The forward sweep in dual<double> runs every op's value rule on duals;
  // its tangents must equal jvp()'s, which uses the ops' tangent rules.
  constexpr auto z = input<"z", vec<4>>;
  constexpr auto g = logsumexp(sqrt(exp(z) + 1_c) * tanh(z)) + sum(relu(z) / (1_c + abs(z))) + sum(sigmoid(z) * z);
  const std::array<double, 4> zv{0.7, -1.3, 0.2, 2.1}, dz{1.0, -0.5, 0.25, 0.3};
  using G = std::remove_const_t<decltype(g)>;
  workspace<G, dual<double>> ws;
  constexpr std::size_t z_slot = slot_layout<G>::offset<input_t<name_of<"z">, vec<4>>>;
  for (std::size_t k = 0; k < 4; ++k) ws.values[z_slot + k] = dual<double>(zv[k], dz[k]);
  detail::sweep_arrays<dual<double>, double> arrays;
  arrays.values = ws.values.data();
  detail::forward_sweep<G, params<G>>(arrays);
  const dual<double> out = ws.values[slot_layout<G>::size - 1];
  const auto reference = jvp(g, bind<"z">(zv), tangent<"z">(dz));
  CHECK(out.value == doctest::Approx(reference.value).epsilon(1e-15));
  CHECK(out.tangent == doctest::Approx(reference.tangent).epsilon(1e-14));
}

TEST_CASE("hvp with a parameter buffer f does not use, and of a constant") {
  // P belongs to a bigger model; f reads none of its parameters.
  constexpr auto z = input<"z", vec<3>>;
  constexpr auto model = sum(square(z)) * param<"w">;
  constexpr auto f = sum(square(z));
  params<decltype(model), double> P, V;
  P.fill(2);
  V.fill(1);
  const std::array<double, 3> zv{1, -2, 3}, dz{0.5, 0.25, -1};
  const auto along_p = hvp(f, P, V, bind<"z">(zv));
  const auto along_z = hvp(f, P, bind<"z">(zv), tangent<"z">(dz));
  CHECK(along_p.value == 14);
  CHECK(along_p.grad.get<"w">() == 0);
  CHECK(along_p.hvp.get<"w">() == 0);
  for (std::size_t k = 0; k < 3; ++k) {
    CHECK(along_p.input_grad.get<"z">()[k] == 2 * zv[k]);
    CHECK(along_p.input_hvp.get<"z">()[k] == 0);          // the direction moves no leaf of f
    CHECK(along_z.input_hvp.get<"z">()[k] == 2 * dz[k]);  // H = 2 I
  }

  // A constant: value only, every derivative zero.
  params<decltype(2_c), double> none;
  const auto c = hvp(2_c, none, none);
  CHECK(c.value == 2);
}

TEST_CASE("a CNN's Hessian in its convolution weights: parameters as dual numbers through conv and pooling") {
  constexpr auto img = input<"img", image<1, 6, 6>>;
  constexpr auto cnn_logits =
      img | nn::conv2d<"c1", 2, 3, 1, 1> | nn::softplus | nn::max_pool<2, 2> | nn::flatten | nn::dense<"fc", 3>;
  constexpr auto cnn_loss = nn::softmax_cross_entropy(cnn_logits, label);
  using C = params<decltype(cnn_loss), double>;
  C P;
  randomize(P, 12);
  const auto pixels = random_array<36>(13);
  // n = 18 + 2: the kernels and the channel biases, moved as dual numbers.
  const auto H = hessian(cnn_loss, P, wrt<"c1.W", "c1.b">, bind<"img">(pixels), bind<"y">(one_hot));
  static_assert(decltype(H)::sweeps == 20);
  const double h = 1e-5;
  for (std::size_t j = 0; j < 20; ++j) {
    C Pp = P, Pm = P;
    if (j < 18) {
      Pp.get<"c1.W">()[j] += h;
      Pm.get<"c1.W">()[j] -= h;
    } else {
      Pp.get<"c1.b">()[j - 18] += h;
      Pm.get<"c1.b">()[j - 18] -= h;
    }
    const auto gp = value_and_grad(cnn_loss, Pp, bind<"img">(pixels), bind<"y">(one_hot)).grad;
    const auto gm = value_and_grad(cnn_loss, Pm, bind<"img">(pixels), bind<"y">(one_hot)).grad;
    for (std::size_t i = 0; i < 20; ++i) {
      const double up = i < 18 ? gp.get<"c1.W">()[i] : gp.get<"c1.b">()[i - 18];
      const double down = i < 18 ? gm.get<"c1.W">()[i] : gm.get<"c1.b">()[i - 18];
      CAPTURE(i);
      CAPTURE(j);
      CHECK(mixed_error(H.matrix(i, j), (up - down) / (2 * h)) <= 1e-7);
      CHECK(mixed_error(H.matrix(i, j), H.matrix(j, i)) <= 1e-15);
    }
  }
}
