// The register-blocked product kernels (ops/blocked_products.hpp) and the
// register-by-register elementwise rules, on chunks of samples (lane_pack
// numbers of 2 to 16 registers) at odd shapes: values and input adjoints
// equal to the plain rules run one register at a time (up to contraction
// of multiply-adds by the compiler), weight gradients equal to a double
// reference, lane sums equal to xsimd's.

#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/simd/lane_pack.hpp>
#include <tapeless/core.hpp>

#include "chunks.hpp"

using namespace tapeless;
using chunks::close;
using chunks::random_numbers;

namespace {

template <class E, std::size_t N>
void check_sum_lanes() {
  using R = xsimd::batch<E>;
  std::mt19937 rng(7);
  std::uniform_real_distribution<E> u(-1, 1);
  std::vector<R> regs(N);
  for (auto& r : regs) {
    alignas(64) E v[R::size];
    for (auto& e : v) e = u(rng);
    r = R::load_aligned(v);
  }
  E out[N];
  detail::sum_lanes<N>(regs.data(), out);
  for (std::size_t k = 0; k < N; ++k) CHECK(out[k] == doctest::Approx(tapeless::detail::reduce_add(regs[k])).epsilon(1e-6));
}

// matvec's rules on a K-register chunk against the plain rule on each
// register alone (a one-register lane_pack takes the plain loops, with the
// same fused multiply-adds).
template <class E, std::size_t K, std::size_t M, std::size_t N>
void check_matvec() {
  using T = lane_pack<E, K>;
  using R = typename T::part_type;
  using A = reducing_accumulator<E, K>;
  std::mt19937 rng(M * 100 + N * 10 + K);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<E> a(M * N);
  for (auto& w : a) w = E(u(rng));
  auto x = random_numbers<T, N>(rng);
  auto ybar = random_numbers<T, M>(rng);
  auto xbar = random_numbers<T, N>(rng);
  const auto xbar0 = xbar;
  std::vector<T> y(M);
  std::vector<A> abar(M * N);
  for (auto& acc : abar) acc.clear();

  const tensor_view<const E, mat<M, N>> av(a.data());
  rules<matvec_op>::value(tensor_view<T, vec<M>>(y.data()), av, tensor_view<T, vec<N>>(x.data()));
  rules<matvec_op>::vjp(arg<1>, tensor_view<T, vec<N>>(xbar.data()), tensor_view<T, vec<M>>(ybar.data()), av,
                        tensor_view<T, vec<N>>(x.data()), tensor_view<T, vec<M>>(y.data()));
  rules<matvec_op>::vjp(arg<0>, tensor_view<A, mat<M, N>>(abar.data()), tensor_view<T, vec<M>>(ybar.data()), av,
                        tensor_view<T, vec<N>>(x.data()), tensor_view<T, vec<M>>(y.data()));

  using One = lane_pack<E, 1>;
  static_assert(!math::multi_part<One>);
  for (std::size_t g = 0; g < K; ++g) {
    std::vector<One> xg(N), yg(M), ybg(M), xbg(N);
    for (std::size_t j = 0; j < N; ++j) {
      xg[j].part[0] = x[j].part[g];
      xbg[j].part[0] = xbar0[j].part[g];
    }
    for (std::size_t i = 0; i < M; ++i) ybg[i].part[0] = ybar[i].part[g];
    rules<matvec_op>::value(tensor_view<One, vec<M>>(yg.data()), av, tensor_view<One, vec<N>>(xg.data()));
    rules<matvec_op>::vjp(arg<1>, tensor_view<One, vec<N>>(xbg.data()), tensor_view<One, vec<M>>(ybg.data()), av,
                          tensor_view<One, vec<N>>(xg.data()), tensor_view<One, vec<M>>(yg.data()));
    for (std::size_t i = 0; i < M; ++i) CHECK(close(yg[i].part[0], y[i].part[g], N));
    for (std::size_t j = 0; j < N; ++j) CHECK(close(xbg[j].part[0], xbar[j].part[g], M + 1));
  }
  // Ā_ij = Σ over all lanes of ȳ_i x_j, against double sums.
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      double ref = 0, mag = 0;
      for (std::size_t g = 0; g < K; ++g) {
        alignas(64) E yl[R::size], xl[R::size];
        ybar[i].part[g].store_aligned(yl);
        x[j].part[g].store_aligned(xl);
        for (std::size_t l = 0; l < R::size; ++l) {
          ref += double(yl[l]) * double(xl[l]);
          mag += std::abs(double(yl[l]) * double(xl[l]));
        }
      }
      CHECK(std::abs(double(abar[i * N + j].total()) - ref) <= (std::is_same_v<E, float> ? 1e-5 : 1e-13) * (mag + 1));
    }
}

template <class E, std::size_t K>
void check_shapes() {
  check_matvec<E, K, 1, 1>();
  check_matvec<E, K, 5, 3>();
  check_matvec<E, K, 7, 13>();
  check_matvec<E, K, 13, 6>();
  check_matvec<E, K, 16, 16>();
}

}  // namespace

TEST_CASE("sum_lanes: the transposing lane sums equal one horizontal sum per register") {
  check_sum_lanes<float, 1>();
  check_sum_lanes<float, 16>();
  check_sum_lanes<float, 17>();
  check_sum_lanes<float, 35>();
  check_sum_lanes<double, 8>();
  check_sum_lanes<double, 19>();
}

TEST_CASE("blocked matvec: value and x adjoint as the plain rule per register, A adjoint summed over every lane") {
  check_shapes<float, 2>();
  check_shapes<float, 3>();
  check_shapes<float, 7>();
  check_shapes<float, 16>();
  check_shapes<double, 5>();
  check_shapes<double, 8>();
}

TEST_CASE("elementwise rules on chunks: register by register") {
  using T = lane_pack<float, 5>;
  using R = T::part_type;
  std::mt19937 rng(3);
  auto z = random_numbers<T, 6>(rng);
  auto ybar = random_numbers<T, 6>(rng);
  std::vector<float> b{0.5f, -1, 2, 0, 0.25f, -0.75f};
  std::vector<T> y(6), zbar(6);
  for (auto& v : zbar) v = T(0.0f);
  std::vector<reducing_accumulator<float, 5>> bbar(6);
  for (auto& acc : bbar) acc.clear();
  const tensor_view<const float, vec<6>> bv(b.data());
  rules<add_op>::value(tensor_view<T, vec<6>>(y.data()), tensor_view<T, vec<6>>(z.data()), bv);
  rules<add_op>::vjp(arg<1>, tensor_view<reducing_accumulator<float, 5>, vec<6>>(bbar.data()),
                     tensor_view<T, vec<6>>(ybar.data()), tensor_view<T, vec<6>>(z.data()), bv,
                     tensor_view<T, vec<6>>(y.data()));
  std::vector<T> r(6);
  rules<relu_op<>>::value(tensor_view<T, vec<6>>(r.data()), tensor_view<T, vec<6>>(y.data()));
  rules<relu_op<>>::vjp(arg<0>, tensor_view<T, vec<6>>(zbar.data()), tensor_view<T, vec<6>>(ybar.data()),
                        tensor_view<T, vec<6>>(y.data()), tensor_view<T, vec<6>>(r.data()));
  for (std::size_t k = 0; k < 6; ++k) {
    double total = 0;
    for (std::size_t g = 0; g < T::parts; ++g) {
      const R sum = z[k].part[g] + R(b[k]);
      CHECK(xsimd::all(y[k].part[g] == sum));
      CHECK(xsimd::all(r[k].part[g] == xsimd::select(sum < R(0.0f), R(0.0f), sum)));
      CHECK(xsimd::all(zbar[k].part[g] == xsimd::select(sum > R(0.0f), ybar[k].part[g], R(0.0f))));
      total += double(tapeless::detail::reduce_add(ybar[k].part[g]));
    }
    CHECK(bbar[k].total() == doctest::Approx(total).epsilon(1e-5));
  }
}

TEST_CASE_TEMPLATE("lane_pack division: every lane's quotient is the scalar quotient, bit for bit", E, float, double) {
  // Ordinary numbers, and the cases where an estimate-and-refine division
  // goes wrong (NEON's float division in xsimd): subnormal divisors,
  // infinities, huge and tiny quotients.
  using pack = lane_pack<E, 2>;
  using limits = std::numeric_limits<E>;
  std::mt19937 rng(77);
  std::uniform_real_distribution<E> u(E(0.5), E(2));
  std::vector<E> a, b;
  for (int i = 0; i < 4000; ++i) {
    a.push_back(u(rng));
    b.push_back(u(rng));
  }
  for (const E special : {limits::denorm_min(), limits::min() / E(3), limits::max(), limits::infinity(), E(-0.0)}) {
    a.insert(a.end(), {E(1), special, E(-3), special});
    b.insert(b.end(), {special, E(1), special, E(0.75)});
  }
  while (a.size() % pack::lanes != 0) {
    a.push_back(E(1));
    b.push_back(E(3));
  }
  std::size_t different = 0;
  for (std::size_t first = 0; first < a.size(); first += pack::lanes) {
    const auto load = [](const E* p) {
      pack x;
      for (std::size_t k = 0; k < pack::parts; ++k) x.part[k] = pack::part_type::load_unaligned(p + k * pack::part_type::size);
      return x;
    };
    const pack q = load(a.data() + first) / load(b.data() + first);
    for (std::size_t l = 0; l < pack::lanes; ++l) {
      const std::size_t per_part = pack::part_type::size;
      const E got = E(chunks::lane(q, l / per_part, l % per_part));
      const E expected = a[first + l] / b[first + l];
      different += std::memcmp(&got, &expected, sizeof(E)) != 0;
    }
  }
  CHECK(different == 0);
}
