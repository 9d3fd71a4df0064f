// The register-blocked conv2d kernels (ops/blocked_conv2d.hpp) on chunks of
// samples (lane_pack numbers of 1 to 8 registers), at strides, paddings and
// image sizes that give border runs of every kind: the value and the JVP in
// x equal to the plain rule run one register at a time (up to contraction
// of multiply-adds), the filter gradient equal to a double reference summed
// over every lane.

#include <cmath>
#include <cstddef>
#include <random>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/simd/lane_pack.hpp>
#include <tapeless/core.hpp>

#include "chunks.hpp"

using namespace tapeless;

namespace {

template <class E, std::size_t Regs, std::size_t Out, std::size_t C, std::size_t H, std::size_t W, std::size_t K,
          std::size_t S, std::size_t P>
void check_conv() {
  using T = lane_pack<E, Regs>;
  using One = lane_pack<E, 1>;
  using A = reducing_accumulator<E, Regs>;
  using op = conv2d_op<K, S, P>;
  using XS = image<C, H, W>;
  using WS = mat<Out, C * K * K>;
  using YS = typename op::template result_shape<WS, XS>;
  constexpr std::size_t F = C * K * K, Ho = YS::height, Wo = YS::width;
  static_assert(math::multi_part<T> == (Regs > 1));
  INFO("regs " << Regs << ", out " << Out << ", image " << C << "x" << H << "x" << W << ", K " << K << " S " << S
               << " P " << P);

  std::mt19937 rng(unsigned(Regs * 1000 + Out * 100 + H * 10 + K));
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<E> w(Out * F);
  for (auto& v : w) v = E(u(rng));
  auto x = chunks::random_numbers<T, XS::size>(rng);
  auto xdot = chunks::random_numbers<T, XS::size>(rng);
  auto ybar = chunks::random_numbers<T, YS::size>(rng);
  auto ydot = chunks::random_numbers<T, YS::size>(rng);
  const auto ydot0 = ydot;
  std::vector<T> y(YS::size);
  std::vector<A> wbar(Out * F);
  for (auto& acc : wbar) acc.clear();

  const tensor_view<const E, WS> wv(w.data());
  rules<op>::value(tensor_view<T, YS>(y.data()), wv, tensor_view<T, XS>(x.data()));
  rules<op>::jvp(arg<1>, tensor_view<T, YS>(ydot.data()), tensor_view<T, XS>(xdot.data()), wv,
                 tensor_view<T, XS>(x.data()), tensor_view<T, YS>(y.data()));
  rules<op>::vjp(arg<0>, tensor_view<A, WS>(wbar.data()), tensor_view<T, YS>(ybar.data()), wv,
                 tensor_view<T, XS>(x.data()), tensor_view<T, YS>(y.data()));

  // Value and JVP: the plain rule (a one-register number) on each register.
  for (std::size_t g = 0; g < Regs; ++g) {
    std::vector<One> xg(XS::size), xdg(XS::size), yg(YS::size), ydg(YS::size);
    for (std::size_t k = 0; k < XS::size; ++k) {
      xg[k].part[0] = x[k].part[g];
      xdg[k].part[0] = xdot[k].part[g];
    }
    for (std::size_t k = 0; k < YS::size; ++k) ydg[k].part[0] = ydot0[k].part[g];
    rules<op>::value(tensor_view<One, YS>(yg.data()), wv, tensor_view<One, XS>(xg.data()));
    rules<op>::jvp(arg<1>, tensor_view<One, YS>(ydg.data()), tensor_view<One, XS>(xdg.data()), wv,
                   tensor_view<One, XS>(xg.data()), tensor_view<One, YS>(yg.data()));
    for (std::size_t k = 0; k < YS::size; ++k) {
      CHECK(chunks::close(yg[k].part[0], y[k].part[g], F));
      CHECK(chunks::close(ydg[k].part[0], ydot[k].part[g], F + 1));
    }
  }

  // W̄(o, f) = Σ over pixels, registers and lanes of ȳ(o, i, j) x(c, iS+p-P, jS+q-P).
  constexpr std::size_t lanes = T::part_type::size;
  for (std::size_t o = 0; o < Out; ++o)
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t p = 0; p < K; ++p)
        for (std::size_t q = 0; q < K; ++q) {
          double ref = 0, mag = 0;
          for (std::size_t i = 0; i < Ho; ++i)
            for (std::size_t j = 0; j < Wo; ++j) {
              const std::size_t r = i * S + p, s = j * S + q;  // padded coordinates
              if (r < P || s < P || r - P >= H || s - P >= W) continue;
              for (std::size_t g = 0; g < Regs; ++g)
                for (std::size_t l = 0; l < lanes; ++l) {
                  const double t = chunks::lane(ybar[(o * Ho + i) * Wo + j], g, l) *
                                   chunks::lane(x[(c * H + r - P) * W + s - P], g, l);
                  ref += t;
                  mag += std::abs(t);
                }
            }
          const double got = double(wbar[o * F + (c * K + p) * K + q].total());
          CHECK(std::abs(got - ref) <= (std::is_same_v<E, float> ? 1e-5 : 1e-13) * (mag + 1));
        }
}

}  // namespace

TEST_CASE("blocked conv2d: the digits CNN's layer (16 filters 3x3, padding 1, 8x8) on 1 to 8 registers") {
  check_conv<float, 1, 16, 1, 8, 8, 3, 1, 1>();
  check_conv<float, 2, 16, 1, 8, 8, 3, 1, 1>();
  check_conv<float, 4, 16, 1, 8, 8, 3, 1, 1>();
  check_conv<float, 8, 16, 1, 8, 8, 3, 1, 1>();
}

TEST_CASE("blocked conv2d: strides, paddings and odd sizes") {
  check_conv<float, 3, 5, 2, 7, 9, 3, 2, 1>();   // stride 2, border runs on both sides
  check_conv<float, 2, 7, 3, 5, 5, 2, 1, 0>();   // no padding: one run per axis
  check_conv<float, 5, 9, 2, 6, 9, 4, 1, 3>();   // padding wider than half the kernel
  check_conv<float, 2, 3, 1, 1, 5, 3, 1, 1>();   // one row: every pixel a border in height
  check_conv<float, 4, 25, 1, 3, 3, 5, 1, 2>();  // kernel 5: two tap blocks per filter row
  check_conv<double, 3, 13, 2, 6, 7, 5, 1, 2>();
  check_conv<double, 8, 4, 1, 4, 4, 3, 1, 1>();
}
