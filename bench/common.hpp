// Shared pieces of the tapeless benchmark (issue #3): the data set, the
// network specifications, deterministic data and parameters, and the
// gradient comparison used before any timing.
//
// Workload: fully connected network, ReLU hidden layers, linear output, loss
// 0.5 * ||yhat - y||^2 per sample, SUMMED over the batch; every
// implementation returns the summed loss and OVERWRITES grad with d loss /
// d params.
//
// Parameter layout (identical to tapeless): one flat array; for each layer in
// order, W (rows = out, cols = in, row-major) then b.  Network R is
// W0,b0,W1,b1,...,W31,b31 for h <- h + relu(W_i h + b_i).
//
// ReLU convention: relu'(z) = 1 for z > 0, 0 otherwise (kink subgradient 0,
// tapeless' default).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <vector>

namespace tlbench {

// 64-byte aligned allocator so rows of the SoA arrays start on a cache line
// (and a full AVX-512 register) whenever n is a multiple of the lane count.
template <class T>
struct aligned_allocator {
  using value_type = T;
  static constexpr std::size_t alignment = 64;
  aligned_allocator() noexcept = default;
  template <class U>
  aligned_allocator(const aligned_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    std::size_t bytes = (n * sizeof(T) + alignment - 1) / alignment * alignment;
    void* p = std::aligned_alloc(alignment, bytes == 0 ? alignment : bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }
  template <class U>
  bool operator==(const aligned_allocator<U>&) const noexcept { return true; }
};

template <class T>
using avector = std::vector<T, aligned_allocator<T>>;

// A batch of n samples, in both layouts:
//   x_aos[s * in + i]  (sample-major, n x in)     x_soa[i * n + s]  (feature-major, in x n)
//   y_aos[s * out + o]                              y_soa[o * n + s]
template <class T>
struct dataset {
  std::size_t n = 0, in = 0, out = 0;
  avector<T> x_aos, x_soa, y_aos, y_soa;
};

// ---------------------------------------------------------------------------
// Network specifications.
enum class net_kind { mlp, residual };

template <char Net>
struct net_spec;

// S: 2-2-1, batch 1024.
template <>
struct net_spec<'S'> {
  static constexpr net_kind kind = net_kind::mlp;
  static constexpr std::array<std::size_t, 3> dims{2, 2, 1};
  static constexpr std::size_t batch = 1024;
  static constexpr const char* name = "S 2-2-1";
};
// M: 16-32-32-1, batch 1024.
template <>
struct net_spec<'M'> {
  static constexpr net_kind kind = net_kind::mlp;
  static constexpr std::array<std::size_t, 4> dims{16, 32, 32, 1};
  static constexpr std::size_t batch = 1024;
  static constexpr const char* name = "M 16-32-32-1";
};
// L: 64-256-256-10, batch 256.
template <>
struct net_spec<'L'> {
  static constexpr net_kind kind = net_kind::mlp;
  static constexpr std::array<std::size_t, 4> dims{64, 256, 256, 10};
  static constexpr std::size_t batch = 256;
  static constexpr const char* name = "L 64-256-256-10";
};
// R: width 16, 32 residual blocks h <- h + relu(W_i h + b_i), y in R^16.
template <>
struct net_spec<'R'> {
  static constexpr net_kind kind = net_kind::residual;
  static constexpr std::size_t width = 16;
  static constexpr std::size_t blocks = 32;
  static constexpr std::size_t batch = 1024;
  static constexpr const char* name = "R 16x32 residual";
};

template <char Net>
constexpr std::size_t in_width() {
  if constexpr (net_spec<Net>::kind == net_kind::mlp) return net_spec<Net>::dims.front();
  else return net_spec<Net>::width;
}
template <char Net>
constexpr std::size_t out_width() {
  if constexpr (net_spec<Net>::kind == net_kind::mlp) return net_spec<Net>::dims.back();
  else return net_spec<Net>::width;
}

// Number of scalars in the flat parameter (and gradient) array.
template <char Net>
constexpr std::size_t param_count() {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) {
    std::size_t c = 0;
    for (std::size_t l = 0; l + 1 < S::dims.size(); ++l) c += S::dims[l + 1] * S::dims[l] + S::dims[l + 1];
    return c;
  } else {
    return S::blocks * (S::width * S::width + S::width);
  }
}

// Number of weight (matrix) entries: one multiply-add each per sample in the
// forward pass.
template <char Net>
constexpr std::size_t weight_count() {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) {
    std::size_t c = 0;
    for (std::size_t l = 0; l + 1 < S::dims.size(); ++l) c += S::dims[l + 1] * S::dims[l];
    return c;
  } else {
    return S::blocks * S::width * S::width;
  }
}

// FLOP count per sample used for every GFLOP/s figure (the convention):
//   forward  = 2 flops per weight (one multiply-add),
//   backward = 2x forward (dW += delta x^T and dx = W^T delta),
//   total    = 3 x 2 x (number of weights).
// Biases, ReLU, residual adds and the loss are not counted.  The first
// layer's dx = W^T delta is not needed (nobody asks for d loss / d x), so the
// work an implementation actually has to do is slightly smaller
// (6*W - 2*in*hidden1 flops); the nominal 6*W is used for all rows so the
// ratios between rows are ratios of times.
template <char Net>
constexpr double flops_per_sample() {
  return 6.0 * static_cast<double>(weight_count<Net>());
}

// ---------------------------------------------------------------------------
// Deterministic data and parameters.
namespace detail {
inline constexpr std::uint32_t data_seed = 0x7A9E1E55u;
inline constexpr std::uint32_t param_seed = 0x0C0FFEE5u;
}  // namespace detail

// x and y uniform in [-1, 1], generated in double and rounded to T, so the
// float and double data sets hold the same values up to rounding.
template <class T, char Net>
dataset<T> make_dataset(std::size_t n = net_spec<Net>::batch) {
  dataset<T> d;
  d.n = n;
  d.in = in_width<Net>();
  d.out = out_width<Net>();
  d.x_aos.resize(n * d.in);
  d.x_soa.resize(n * d.in);
  d.y_aos.resize(n * d.out);
  d.y_soa.resize(n * d.out);
  std::mt19937 gen(detail::data_seed + static_cast<std::uint32_t>(Net));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::size_t s = 0; s < n; ++s) {
    for (std::size_t i = 0; i < d.in; ++i) {
      T v = static_cast<T>(u(gen));
      d.x_aos[s * d.in + i] = v;
      d.x_soa[i * n + s] = v;
    }
    for (std::size_t o = 0; o < d.out; ++o) {
      T v = static_cast<T>(u(gen));
      d.y_aos[s * d.out + o] = v;
      d.y_soa[o * n + s] = v;
    }
  }
  return d;
}

// He-scaled weights: W ~ U(-a, a) with a = sqrt(6 / fan_in) (variance
// 2 / fan_in), biases ~ U(-0.1, 0.1) (non-zero so their gradients are
// exercised).  For R each residual branch is additionally scaled by
// 1/blocks: with plain He scaling h would grow geometrically through the 32
// blocks (~15x in rms at 1/sqrt(blocks)); with 1/blocks the rms of h goes
// from 0.57 (x) to about 1.1 (h_32) and about half the ReLUs are active in
// every layer of every network.
template <class T, char Net>
avector<T> make_params() {
  using S = net_spec<Net>;
  avector<T> p(param_count<Net>());
  std::mt19937 gen(detail::param_seed + static_cast<std::uint32_t>(Net));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::size_t k = 0;
  auto layer = [&](std::size_t in, std::size_t out, double extra) {
    const double a = std::sqrt(6.0 / static_cast<double>(in)) * extra;
    for (std::size_t j = 0; j < out * in; ++j) p[k++] = static_cast<T>(a * u(gen));
    for (std::size_t j = 0; j < out; ++j) p[k++] = static_cast<T>(0.1 * u(gen));
  };
  if constexpr (S::kind == net_kind::mlp) {
    for (std::size_t l = 0; l + 1 < S::dims.size(); ++l) layer(S::dims[l], S::dims[l + 1], 1.0);
  } else {
    for (std::size_t b = 0; b < S::blocks; ++b) layer(S::width, S::width, 1.0 / double(S::blocks));
  }
  return p;
}

// Max relative error of g against the reference r:
//   max_j |g_j - r_j| / (|r_j| + 1e-3 * max_k |r_k|)
// (the floor keeps entries that are nearly zero by cancellation from
// dominating).
template <class T, class R>
double max_rel_error(const T* g, const R* r, std::size_t count) {
  double rmax = 0;
  for (std::size_t j = 0; j < count; ++j) rmax = std::max(rmax, std::abs(double(r[j])));
  const double floor = 1e-3 * rmax + 1e-300;
  double e = 0;
  for (std::size_t j = 0; j < count; ++j) {
    double d = std::abs(double(g[j]) - double(r[j])) / (std::abs(double(r[j])) + floor);
    if (!(d <= e)) e = d;  // propagates NaN
  }
  return e;
}

}  // namespace tlbench

// The tapeless hooks are declared at global scope with an unqualified
// dataset<T>.
using tlbench::dataset;
