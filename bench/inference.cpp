// tapeless inference and convolution benchmark (issue 10).
//
// Group 1, inference (forward only), float, ns per sample:
//   M    16-32-32-1, batch 1024   (common.hpp: same weights and data as tapeless_bench)
//   L    64-256-256-10, batch 256 (idem)
//   CNN  the digits CNN of examples/train_digits_cnn.cpp: conv 3x3, 16 channels,
//        stride 1, padding 1 -> ReLU -> 2x2 max pooling -> dense 64 -> ReLU ->
//        dense 10, on a batch of 256 random 8x8 images (uniform in [0, 1), like
//        the digits scaled by 1/16); weights he_normal (seed 42, as the example),
//        biases uniform in [-0.1, 0.1] so the bias paths are checked.
// The output is the last layer's linear output (yhat for M and L, the logits
// for the CNN): n x out numbers.
//   rows  tapeless  batch_predictor, one object made once, SoA (feature-major)
//                   input, feature-major output (out x n, soa_out)
//         lanes     hand-written xsimd forward, one sample per lane: M and L
//                   call the register-blocked forward kernel of
//                   reference/lanes.hpp (fwd_layer, the block sizes tuned for
//                   tapeless_bench); the CNN has its own kernel below (conv +
//                   bias + ReLU + 2x2 max pooling fused, then fwd_layer);
//                   feature-major input and output
//         eigen     GEMM over the batch (samples are columns; the CNN's conv
//                   is an im2col GEMM), sample-major output; if Eigen is found
//         torch     LibTorch forward under torch::NoGradGuard, 1 thread, BLAS
//                   as installed (peers/torch.hpp prints which), sample-major;
//                   if TAPELESS_BENCH_HAVE_TORCH
//         torch_nomkldnn  (CNN only) the same with LibTorch's oneDNN backend
//                   turned off for the call (setUserEnabledMkldnn(false)):
//                   the convolution then runs as im2col + BLAS.  With the
//                   backend on, Debian's LibTorch 1.13 runs this small conv
//                   through oneDNN with reorders and fresh allocations every
//                   call; its time varied from run to run (bench/README.md)
//         onednn    inner_product_forward (forward_inference) with a ReLU
//                   post-op on hidden layers; the CNN: convolution_forward
//                   with a ReLU post-op, max pooling, inner products;
//                   activations between layers and weights in the layouts
//                   oneDNN picks (weights reordered once per parameter
//                   pointer), input, output and biases plain; primitives,
//                   memories and a user scratchpad made once per network and
//                   batch size; sample-major; if TAPELESS_BENCH_HAVE_ONEDNN
//
// Group 2, convolution: the CNN's conv layer alone (1 -> 16 channels, 3x3,
// stride 1, padding 1, with bias, on 8x8 images), forward plus the weight
// and bias gradients (no input gradient), batch 256:
//         tapeless  batch_engine::value_and_grad_into on
//                   loss = dot(conv2d(W, x) + b, c), where c is a per-sample
//                   input image<16, 8, 8> holding a fixed random cotangent
//                   (uniform in [-1, 1]): the gradient of that loss is exactly
//                   the conv layer's VJP with output cotangent c, the same
//                   work as torch's backward with grad_output = c; the dot
//                   adds one multiply-add per output number forward and one
//                   per output number backward (about 5 % of the conv's flops).
//         tapeless_pack4  the same with batch_engine<..., Pack = 4>: the
//                   default Pack (8 registers per number, 128 samples per
//                   sweep) makes a 2.6 MB workspace for this graph, Pack 4
//                   1.3 MB; not counted as "other" in the summary
//         torch     at::conv2d forward, torch::autograd::grad with
//                   grad_outputs = c for the weight and bias leaves (the input
//                   does not require grad); if TAPELESS_BENCH_HAVE_TORCH;
//                   torch_nomkldnn the same without LibTorch's oneDNN backend
//         eigen     im2col, one GEMM forward, the gradients per sample; a
//                   reference point for builds without LibTorch; if Eigen
//                   is found
// Flops per sample: 2 per multiply-add, nominal (padded taps counted, as
// the usual convolution convention): forward 2 * 16 * 9 * 64 = 18,432,
// weight gradient the same, total 36,864 (the bias and its gradient are not
// counted; 84 % of the nominal taps land inside the image).  % of peak is
// against the best peak/fma_f32_* row of the same run (peak.hpp).
//
// Before any timing every row's output (group 1) or gradient (group 2) is
// compared with a double-precision scalar reference on the same data
// promoted to double, at the full batch and at n = 1, 7, 37 (tails), with
// two measures:
//   normwise     max_j |o_j - r_j| / max_j |r_j|                  <= 1e-4
//   elementwise  common.hpp's max_rel_error,
//                max_j |o_j - r_j| / (|r_j| + 1e-3 max|r|)          <= 1e-3
// (tapeless_bench's float tolerance).  The elementwise measure at 1e-4
// fails on correct float code: outputs near zero by cancellation (L's, the
// CNN's, the conv's gradients) reach 1-2e-4 in every row, LibTorch
// and oneDNN included.  Every output buffer starts as NaN, so the check
// also proves it is overwritten.  The program exits 1 if any check
// fails; --check_only runs only the checks.  A summary (medians when
// --benchmark_repetitions > 1, ratios tapeless / other, % of peak) goes to
// stderr at the end.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/predict.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/core.hpp>

#include "common.hpp"
#include "peak.hpp"
#include "reference/lanes.hpp"
#include "tapeless_impl.hpp"
#if __has_include(<Eigen/Dense>)
#define TLBENCH_HAVE_EIGEN 1
#include <Eigen/Dense>
#endif
#ifdef TAPELESS_BENCH_HAVE_TORCH
#include <torch/utils.h>

#include "peers/torch.hpp"
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
#include "peers/onednn.hpp"
#endif

namespace {

using namespace tlbench;
using std::size_t;

// ===========================================================================
// Problems.

// The digits CNN (examples/train_digits_cnn.cpp).
namespace cnn {
using namespace tapeless;
inline constexpr size_t batch = 256, in = 64, out = 10;
inline constexpr size_t channels = 16, side = 8, pooled = 4;
constexpr auto x = input<"x", image<1, side, side>>;
constexpr auto logits = x | nn::conv2d<"conv", channels, 3, 1, 1> | nn::relu | nn::max_pool<2> | nn::flatten |
                        nn::dense<"fc", 64> | nn::relu | nn::dense<"out", out>;
using params_t = params<decltype(logits), float>;

// Offsets of the leaves in the flat buffer (buffer order = first use).
struct layout {
  size_t convW, convb, fcW, fcb, outW, outb;
};
inline size_t offset_of(std::string_view name) {
  for (const auto& leaf : params_t::layout_info())
    if (leaf.name == name) return leaf.offset;
  std::fprintf(stderr, "no parameter %.*s\n", int(name.size()), name.data());
  std::abort();
}
inline const layout& offsets() {
  static const layout l{offset_of("conv.W"), offset_of("conv.b"), offset_of("fc.W"),
                        offset_of("fc.b"),   offset_of("out.W"),  offset_of("out.b")};
  return l;
}

// Forward flops per sample (2 per multiply-add; conv taps nominal).
inline constexpr double conv_flops = 2.0 * channels * 9 * side * side;  // 18,432
inline constexpr double flops = conv_flops + 2.0 * (64 * channels * pooled * pooled) + 2.0 * (out * 64);
}  // namespace cnn

// Networks of group 1: 'M', 'L' (common.hpp) and 'C' (the CNN).
template <char Net>
struct inet;
template <char Net>
  requires(Net == 'M' || Net == 'L')
struct inet<Net> {
  static constexpr size_t batch = net_spec<Net>::batch, out = out_width<Net>();
  static constexpr const char* name = net_spec<Net>::name;
  static constexpr double flops = 2.0 * double(weight_count<Net>());
};
template <>
struct inet<'C'> {
  static constexpr size_t batch = cnn::batch, out = cnn::out;
  static constexpr const char* name = "CNN conv3x3x16-pool-64-10";
  static constexpr double flops = cnn::flops;
};
template <char Net>
std::string net_label() {
  return Net == 'C' ? "CNN" : std::string(1, Net);
}

// Random 8x8 images in [0, 1) (the digits scaled by 1/16 lie in [0, 1]);
// y is not used.
dataset<float> make_images(size_t n) {
  dataset<float> d;
  d.n = n;
  d.in = cnn::in;
  d.out = cnn::out;
  d.x_aos.resize(n * d.in);
  d.x_soa.resize(n * d.in);
  std::mt19937 gen(0xD161757u);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t s = 0; s < n; ++s)
    for (size_t i = 0; i < d.in; ++i) {
      const float v = float(u(gen));
      d.x_aos[s * d.in + i] = v;
      d.x_soa[i * n + s] = v;
    }
  return d;
}

// He-initialised like the example (he_normal, seed 42), then biases uniform
// in [-0.1, 0.1] (initialize leaves them 0).
avector<float> make_cnn_params() {
  auto P = std::make_unique<cnn::params_t>();
  tapeless::init::initialize(*P, tapeless::init::he_normal, 42);
  std::mt19937 gen(0xB1A5u);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  for (const auto& leaf : cnn::params_t::layout_info())
    if (leaf.rank == 1)
      for (size_t k = 0; k < leaf.size; ++k) P->data()[leaf.offset + k] = float(u(gen));
  return avector<float>(P->begin(), P->end());
}

template <char Net>
dataset<float> make_data(size_t n) {
  if constexpr (Net == 'C') return make_images(n);
  else return make_dataset<float, Net>(n);
}
template <char Net>
avector<float> make_weights() {
  if constexpr (Net == 'C') return make_cnn_params();
  else return make_params<float, Net>();
}

template <char Net>
struct problem {
  dataset<float> data = make_data<Net>(inet<Net>::batch);
  avector<float> params = make_weights<Net>();
  static problem& get() {
    static problem p;
    return p;
  }
};

// ===========================================================================
// Double-precision scalar references (sample-major output, n x out).

template <char Net>
std::vector<double> reference_forward(const avector<float>& params_f, const dataset<float>& d) {
  const std::vector<double> p(params_f.begin(), params_f.end());
  const size_t n = d.n;
  std::vector<double> y(n * inet<Net>::out);
  if constexpr (Net == 'C') {
    using namespace cnn;
    const layout& o = offsets();
    for (size_t s = 0; s < n; ++s) {
      const float* xs = d.x_aos.data() + s * in;
      std::vector<double> conv(channels * side * side), flat(channels * pooled * pooled), h(64);
      for (size_t c = 0; c < channels; ++c)
        for (size_t i = 0; i < side; ++i)
          for (size_t j = 0; j < side; ++j) {
            double acc = p[o.convb + c];
            for (size_t a = 0; a < 3; ++a)
              for (size_t b = 0; b < 3; ++b) {
                const std::ptrdiff_t r = std::ptrdiff_t(i + a) - 1, q = std::ptrdiff_t(j + b) - 1;
                if (r < 0 || q < 0 || r >= std::ptrdiff_t(side) || q >= std::ptrdiff_t(side)) continue;
                acc += p[o.convW + c * 9 + a * 3 + b] * double(xs[size_t(r) * side + size_t(q)]);
              }
            conv[(c * side + i) * side + j] = std::max(acc, 0.0);
          }
      for (size_t c = 0; c < channels; ++c)
        for (size_t i = 0; i < pooled; ++i)
          for (size_t j = 0; j < pooled; ++j) {
            double m = -std::numeric_limits<double>::infinity();
            for (size_t a = 0; a < 2; ++a)
              for (size_t b = 0; b < 2; ++b) m = std::max(m, conv[(c * side + 2 * i + a) * side + 2 * j + b]);
            flat[(c * pooled + i) * pooled + j] = m;
          }
      for (size_t k = 0; k < 64; ++k) {
        double acc = p[o.fcb + k];
        for (size_t f = 0; f < flat.size(); ++f) acc += p[o.fcW + k * flat.size() + f] * flat[f];
        h[k] = std::max(acc, 0.0);
      }
      for (size_t m = 0; m < out; ++m) {
        double acc = p[o.outb + m];
        for (size_t k = 0; k < 64; ++k) acc += p[o.outW + m * 64 + k] * h[k];
        y[s * out + m] = acc;
      }
    }
  } else {
    constexpr auto dims = net_spec<Net>::dims;
    constexpr size_t NL = dims.size() - 1;
    for (size_t s = 0; s < n; ++s) {
      std::vector<double> a(d.x_aos.begin() + std::ptrdiff_t(s * dims[0]),
                            d.x_aos.begin() + std::ptrdiff_t((s + 1) * dims[0]));
      size_t off = 0;
      for (size_t l = 0; l < NL; ++l) {
        std::vector<double> z(dims[l + 1]);
        const double* W = p.data() + off;
        const double* b = W + dims[l + 1] * dims[l];
        for (size_t r = 0; r < dims[l + 1]; ++r) {
          double acc = b[r];
          for (size_t c = 0; c < dims[l]; ++c) acc += W[r * dims[l] + c] * a[c];
          z[r] = l + 1 < NL ? std::max(acc, 0.0) : acc;
        }
        off += dims[l + 1] * dims[l] + dims[l + 1];
        a = std::move(z);
      }
      std::copy(a.begin(), a.end(), y.begin() + std::ptrdiff_t(s * dims[NL]));
    }
  }
  return y;
}

// ===========================================================================
// Group 1 rows.  out: n x inet<Net>::out numbers, in the row's layout.
using infer_fn = void (*)(const float* params, const dataset<float>& d, float* out);

struct infer_row {
  const char* name;
  infer_fn fn;
  bool feature_major;  // out[e * n + s] (true) or out[s * k + e]
};

// ---- tapeless: batch_predictor.
template <char Net>
constexpr auto forward_expr() {
  using namespace tapeless;
  if constexpr (Net == 'C') {
    return cnn::logits;
  } else {
    using S = net_spec<Net>;
    return nets::mlp<0, S::dims.size() - 1, S::dims>(input<"x", vec<in_width<Net>()>>);
  }
}

template <char Net>
void tapeless_forward(const float* params, const dataset<float>& d, float* out) {
  using namespace tapeless;
  using expr_t = decltype(forward_expr<Net>());
  using params_t = tapeless::params<expr_t, float>;
  using predictor_t = batch_predictor<expr_t, params_t>;
  // The predictor (its workspace) and the parameter buffer are made once;
  // the weights are copied in when the caller's pointer changes (a model's
  // weights would live in the buffer).
  struct state {
    predictor_t predictor;
    params_t P;
    const float* source = nullptr;
  };
  static thread_local std::unique_ptr<state> st = std::make_unique<state>();
  if (st->source != params) {
    std::memcpy(st->P.data(), params, params_t::size() * sizeof(float));
    st->source = params;
  }
  std::span<float> target(out, d.n * inet<Net>::out);
  st->predictor.value_into(st->P, d.n, soa_out(target), bind<"x">(soa(d.x_soa)));
}

// ---- lanes: hand-written xsimd forward, feature-major.
struct tag_fwd {};
struct tag_cnn {};

template <char Net>
void lanes_mlp_forward(const float* params, const dataset<float>& d, float* out) {
  using S = net_spec<Net>;
  using lanes::detail::out_mode;
  constexpr size_t N = lanes::vec<float>::size;
  constexpr auto dims = S::dims;
  constexpr size_t NL = dims.size() - 1;
  constexpr lanes::blocking Bk = lanes::tuned<Net, float>::value;
  const size_t n = d.n;
  const size_t C = Bk.chunk == 0 ? (n + N - 1) / N * N : (Bk.chunk + N - 1) / N * N;
  size_t off[NL], p = 0, aoff[NL], na = 0;
  for (size_t l = 0; l < NL; ++l) {
    off[l] = p;
    p += dims[l + 1] * dims[l] + dims[l + 1];
    aoff[l] = na;  // hidden activation l + 1 (l < NL - 1)
    if (l + 1 < NL) na += dims[l + 1] * C;
  }
  float* ws = lanes::detail::scratch<float, tag_fwd>(na + dims[0] * C + dims[NL] * C);
  float* xt = ws + na;
  float* yt = xt + dims[0] * C;
  lanes::vec<float> unused(0.f);
  for (size_t c_begin = 0; c_begin < n; c_begin += C) {
    const size_t valid = std::min(C, n - c_begin);
    const size_t Ce = (valid + N - 1) / N * N;
    const bool in_place = valid == Ce;  // whole registers: read and write the caller's arrays
    const float* X0 = d.x_soa.data() + c_begin;
    size_t ldx = n;
    if (!in_place) {
      lanes::detail::copy_tail(d.x_soa.data(), dims[0], n, c_begin, valid, xt, Ce);
      X0 = xt;
      ldx = Ce;
    }
    float* Y0 = in_place ? out + c_begin : yt;
    const size_t ldy = in_place ? n : Ce;
    for (size_t l = 0; l < NL; ++l) {
      const float* W = params + off[l];
      const float* b = W + dims[l + 1] * dims[l];
      const float* X = l == 0 ? X0 : ws + aoff[l - 1];
      const size_t lx = l == 0 ? ldx : C;
      if (l + 1 < NL)
        lanes::detail::fwd_layer<float, Bk.fwd_ob, Bk.fwd_lg, out_mode::relu>(
            W, b, dims[l], dims[l + 1], X, lx, nullptr, 0, ws + aoff[l], C, Ce, std::ptrdiff_t(valid), unused);
      else
        lanes::detail::fwd_layer<float, Bk.fwd_ob, Bk.fwd_lg, out_mode::linear>(
            W, b, dims[l], dims[l + 1], X, lx, nullptr, 0, Y0, ldy, Ce, std::ptrdiff_t(valid), unused);
    }
    if (!in_place)
      for (size_t o = 0; o < dims[NL]; ++o) std::memcpy(out + o * n + c_begin, yt + o * Ce, valid * sizeof(float));
  }
}

// The CNN's conv + bias + ReLU + 2x2 max pooling for LG lane groups at c0:
// pooled[(ch * 4 + pi) * 4 + pj][c] for the OB channels from ch0.  Per
// pooled pixel, the 4x4 input patch under its four 3x3 windows is loaded
// once per lane group (zeros outside the image) and each loaded register
// feeds up to 4 windows x OB channels of accumulators.  relu(max(z)) =
// max(relu(z)), so the ReLU is applied once after the max.
template <int OB, int LG>
inline void cnn_conv_pool_block(const float* W, const float* b, const float* X, size_t ldx, float* Pout, size_t ldp,
                                size_t ch0, size_t c0) {
  using V = lanes::vec<float>;
  constexpr size_t N = V::size;
  constexpr size_t side = cnn::side, pooled = cnn::pooled;
  for (size_t pi = 0; pi < pooled; ++pi)
    for (size_t pj = 0; pj < pooled; ++pj) {
      V acc[4][OB][LG];
      for (int ob = 0; ob < OB; ++ob) {
        const V bb(b[ch0 + size_t(ob)]);
        for (int w = 0; w < 4; ++w)
          for (int g = 0; g < LG; ++g) acc[w][ob][g] = bb;
      }
      // Patch rows r = 2pi - 1 .. 2pi + 2, columns q = 2pj - 1 .. 2pj + 2.
      for (int pr = 0; pr < 4; ++pr) {
        const std::ptrdiff_t r = std::ptrdiff_t(2 * pi) - 1 + pr;
        if (r < 0 || r >= std::ptrdiff_t(side)) continue;
        for (int pc = 0; pc < 4; ++pc) {
          const std::ptrdiff_t q = std::ptrdiff_t(2 * pj) - 1 + pc;
          if (q < 0 || q >= std::ptrdiff_t(side)) continue;
          V xv[LG];
          for (int g = 0; g < LG; ++g) {
            xv[g] = V::load_unaligned(X + (size_t(r) * side + size_t(q)) * ldx + c0 + size_t(g) * N);
            lanes::detail::pin<float>(xv[g]);
          }
          // Window (a, bw) of the 2x2 pool uses this pixel with tap
          // (pr - a, pc - bw) when both are in [0, 3).
          for (int a = 0; a < 2; ++a) {
            const int tr = pr - a;
            if (tr < 0 || tr > 2) continue;
            for (int bw = 0; bw < 2; ++bw) {
              const int tc = pc - bw;
              if (tc < 0 || tc > 2) continue;
              for (int ob = 0; ob < OB; ++ob) {
                const V wv(W[(ch0 + size_t(ob)) * 9 + size_t(tr * 3 + tc)]);
                for (int g = 0; g < LG; ++g) acc[a * 2 + bw][ob][g] = xsimd::fma(wv, xv[g], acc[a * 2 + bw][ob][g]);
              }
            }
          }
        }
      }
      for (int ob = 0; ob < OB; ++ob)
        for (int g = 0; g < LG; ++g) {
          const V m = xsimd::max(xsimd::max(acc[0][ob][g], acc[1][ob][g]), xsimd::max(acc[2][ob][g], acc[3][ob][g]));
          xsimd::max(m, V(0.f)).store_unaligned(Pout + ((ch0 + size_t(ob)) * pooled * pooled + pi * pooled + pj) * ldp +
                                                 c0 + size_t(g) * N);
        }
    }
}

void lanes_cnn_forward(const float* params, const dataset<float>& d, float* out) {
  using lanes::detail::out_mode;
  constexpr size_t N = lanes::vec<float>::size;
  constexpr int OB = 4, LG = 1;  // 16 accumulators: 4 windows x 4 channels
  const cnn::layout& o = cnn::offsets();
  const size_t n = d.n;
  const size_t C = (n + N - 1) / N * N;  // the whole batch per layer
  constexpr size_t flat = cnn::channels * cnn::pooled * cnn::pooled;
  float* ws = lanes::detail::scratch<float, tag_cnn>((flat + 64 + cnn::in + cnn::out) * C);
  float* pooled = ws;
  float* hidden = pooled + flat * C;
  float* xt = hidden + 64 * C;
  float* yt = xt + cnn::in * C;
  const bool in_place = n == C;
  const float* X = d.x_soa.data();
  if (!in_place) {
    lanes::detail::copy_tail(d.x_soa.data(), cnn::in, n, 0, n, xt, C);
    X = xt;
  }
  const size_t ldx = in_place ? n : C;
  for (size_t c0 = 0; c0 < C; c0 += LG * N)
    for (size_t ch0 = 0; ch0 < cnn::channels; ch0 += OB)
      cnn_conv_pool_block<OB, LG>(params + o.convW, params + o.convb, X, ldx, pooled, C, ch0, c0);
  constexpr lanes::blocking Bk = lanes::tuned<'L', float>::value;
  lanes::vec<float> unused(0.f);
  lanes::detail::fwd_layer<float, Bk.fwd_ob, Bk.fwd_lg, out_mode::relu>(
      params + o.fcW, params + o.fcb, flat, 64, pooled, C, nullptr, 0, hidden, C, C, std::ptrdiff_t(n), unused);
  float* Y = in_place ? out : yt;
  lanes::detail::fwd_layer<float, Bk.fwd_ob, Bk.fwd_lg, out_mode::linear>(
      params + o.outW, params + o.outb, 64, cnn::out, hidden, C, nullptr, 0, Y, in_place ? n : C, C,
      std::ptrdiff_t(n), unused);
  if (!in_place)
    for (size_t k = 0; k < cnn::out; ++k) std::memcpy(out + k * n, yt + k * C, n * sizeof(float));
}

template <char Net>
void lanes_forward(const float* params, const dataset<float>& d, float* out) {
  if constexpr (Net == 'C') lanes_cnn_forward(params, d, out);
  else lanes_mlp_forward<Net>(params, d, out);
}

// ---- eigen: GEMM over the batch, samples are columns (sample-major out).
#ifdef TLBENCH_HAVE_EIGEN
using emat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using ermat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using evec = Eigen::Matrix<float, Eigen::Dynamic, 1>;

// im2col of the 8x8 images (one channel, 3x3, padding 1): cols(tap, s * 64 + pixel).
void im2col(const dataset<float>& d, emat& cols) {
  constexpr size_t side = cnn::side;
  const size_t n = d.n;
  cols.resize(9, Eigen::Index(n * side * side));
  for (size_t s = 0; s < n; ++s) {
    const float* xs = d.x_aos.data() + s * cnn::in;
    for (size_t i = 0; i < side; ++i)
      for (size_t j = 0; j < side; ++j) {
        float* col = cols.data() + (s * side * side + i * side + j) * 9;
        for (size_t a = 0; a < 3; ++a)
          for (size_t b = 0; b < 3; ++b) {
            const std::ptrdiff_t r = std::ptrdiff_t(i + a) - 1, q = std::ptrdiff_t(j + b) - 1;
            col[a * 3 + b] = (r < 0 || q < 0 || r >= std::ptrdiff_t(side) || q >= std::ptrdiff_t(side))
                                 ? 0.f
                                 : xs[size_t(r) * side + size_t(q)];
          }
      }
  }
}

template <char Net>
void eigen_forward(const float* params, const dataset<float>& d, float* out) {
  const Eigen::Index n = Eigen::Index(d.n);
  if constexpr (Net == 'C') {
    using namespace cnn;
    const layout& o = offsets();
    thread_local emat cols, Z, F, H;
    im2col(d, cols);
    Eigen::Map<const ermat> Wc(params + o.convW, channels, 9);
    Z.resize(Eigen::Index(channels), n * Eigen::Index(side * side));
    Z.noalias() = Wc * cols;
    Z.colwise() += Eigen::Map<const evec>(params + o.convb, channels);
    constexpr size_t flat = channels * pooled * pooled;
    F.resize(Eigen::Index(flat), n);
    for (Eigen::Index s = 0; s < n; ++s)
      for (size_t c = 0; c < channels; ++c)
        for (size_t i = 0; i < pooled; ++i)
          for (size_t j = 0; j < pooled; ++j) {
            const float* z = Z.data() + (s * Eigen::Index(side * side)) * Eigen::Index(channels) + c;
            auto at = [&](size_t r, size_t q) { return z[(r * side + q) * channels]; };
            const float m = std::max(std::max(at(2 * i, 2 * j), at(2 * i, 2 * j + 1)),
                                     std::max(at(2 * i + 1, 2 * j), at(2 * i + 1, 2 * j + 1)));
            F((c * pooled + i) * pooled + j, s) = std::max(m, 0.f);
          }
    H.resize(64, n);
    H.noalias() = Eigen::Map<const ermat>(params + o.fcW, 64, Eigen::Index(flat)) * F;
    H.colwise() += Eigen::Map<const evec>(params + o.fcb, 64);
    H = H.cwiseMax(0.f);
    Eigen::Map<emat> Y(out, Eigen::Index(cnn::out), n);
    Y.noalias() = Eigen::Map<const ermat>(params + o.outW, Eigen::Index(cnn::out), 64) * H;
    Y.colwise() += Eigen::Map<const evec>(params + o.outb, Eigen::Index(cnn::out));
  } else {
    constexpr auto dims = net_spec<Net>::dims;
    constexpr size_t NL = dims.size() - 1;
    thread_local std::vector<emat> A(NL);
    Eigen::Map<const emat> X(d.x_aos.data(), Eigen::Index(dims[0]), n);
    size_t off = 0;
    for (size_t l = 0; l < NL; ++l) {
      Eigen::Map<const ermat> W(params + off, Eigen::Index(dims[l + 1]), Eigen::Index(dims[l]));
      Eigen::Map<const evec> b(params + off + dims[l + 1] * dims[l], Eigen::Index(dims[l + 1]));
      off += dims[l + 1] * dims[l] + dims[l + 1];
      if (l + 1 < NL) {
        emat& Z = A[l + 1];
        Z.resize(Eigen::Index(dims[l + 1]), n);
        if (l == 0) Z.noalias() = W * X;
        else Z.noalias() = W * A[l];
        Z.colwise() += b;
        Z = Z.cwiseMax(0.f);
      } else {
        Eigen::Map<emat> Y(out, Eigen::Index(dims[l + 1]), n);
        if (l == 0) Y.noalias() = W * X;
        else Y.noalias() = W * A[l];
        Y.colwise() += b;
      }
    }
  }
}
#endif

// ---- torch: forward under NoGradGuard (sample-major out).
#ifdef TAPELESS_BENCH_HAVE_TORCH
// Turns LibTorch's oneDNN (mkldnn) backend off for one call when Mkldnn is
// false (convolutions then go to im2col + BLAS), and restores the setting.
template <bool Mkldnn>
struct mkldnn_setting {
  const bool saved = at::globalContext().userEnabledMkldnn();
  mkldnn_setting() {
    if (!Mkldnn) at::globalContext().setUserEnabledMkldnn(false);
  }
  ~mkldnn_setting() { at::globalContext().setUserEnabledMkldnn(saved); }
};

template <char Net, bool Mkldnn = true>
void torch_forward(const float* params, const dataset<float>& d, float* out) {
  peers::torch_peer::init();
  const mkldnn_setting<Mkldnn> backend;
  torch::NoGradGuard no_grad;
  const auto opt = at::TensorOptions().dtype(at::kFloat);
  const int64_t n = int64_t(d.n);
  auto blob = [&](const float* p, std::vector<int64_t> sizes) {
    return at::from_blob(const_cast<float*>(p), sizes, opt);
  };
  at::Tensor Y = blob(out, {n, int64_t(inet<Net>::out)});
  if constexpr (Net == 'C') {
    using namespace cnn;
    const layout& o = offsets();
    const at::Tensor X = blob(d.x_aos.data(), {n, 1, int64_t(side), int64_t(side)});
    at::Tensor A = at::conv2d(X, blob(params + o.convW, {int64_t(channels), 1, 3, 3}),
                              blob(params + o.convb, {int64_t(channels)}), {1, 1}, {1, 1})
                       .relu_();
    A = at::max_pool2d(A, {2, 2}).reshape({n, int64_t(channels * pooled * pooled)});
    A = at::addmm(blob(params + o.fcb, {64}), A, blob(params + o.fcW, {64, int64_t(channels * pooled * pooled)}).t())
            .relu_();
    at::addmm_out(Y, blob(params + o.outb, {int64_t(cnn::out)}), A,
                  blob(params + o.outW, {int64_t(cnn::out), 64}).t());
  } else {
    constexpr auto dims = net_spec<Net>::dims;
    constexpr size_t NL = dims.size() - 1;
    at::Tensor A = blob(d.x_aos.data(), {n, int64_t(dims[0])});
    size_t off = 0;
    for (size_t l = 0; l < NL; ++l) {
      const at::Tensor W = blob(params + off, {int64_t(dims[l + 1]), int64_t(dims[l])});
      const at::Tensor b = blob(params + off + dims[l + 1] * dims[l], {int64_t(dims[l + 1])});
      off += dims[l + 1] * dims[l] + dims[l + 1];
      if (l + 1 < NL) A = at::addmm(b, A, W.t()).relu_();
      else at::addmm_out(Y, b, A, W.t());
    }
  }
  if (Y.data_ptr<float>() != out) {
    std::fprintf(stderr, "torch wrote its output elsewhere\n");
    std::abort();
  }
}
#endif

// ---- onednn: inner products (and the CNN's conv and pooling), forward_inference.
// Activations between layers and the weights are in the layouts oneDNN
// picks (format_tag::any); the input (nc / nchw), the output (nc) and the
// biases are the caller's plain arrays.  Weights whose chosen layout is not
// the plain one are reordered into buffers of the state once, when the
// parameter pointer changes (as the tapeless row copies its weights once):
// an inference deployment reorders its weights at load time.
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
namespace onednn_fwd {
using namespace peers::onednn_peer;
using dnnl::memory;
using tag = memory::format_tag;

inline memory::desc any(memory::dims dims) { return memory::desc(dims, memory::data_type::f32, tag::any); }

// The steps of one network over a batch of n.
struct net_state {
  std::vector<dnnl::primitive> prims;
  std::vector<args_t> args;
  memory x, y, scratch;
  std::vector<std::pair<memory, size_t>> weights;  // user memory, offset into params (pointed each call)
  std::vector<std::pair<dnnl::reorder, args_t>> reorders;  // plain weights -> chosen layout, on change
  std::vector<memory> owned;
  size_t scratch_bytes = 0;
  const float* source = nullptr;

  template <class Prim, class PD>
  void add(const PD& pd, args_t a) {
    scratch_bytes = std::max(scratch_bytes, size_t(pd.scratchpad_desc().get_size()));
    prims.push_back(Prim(pd));
    args.push_back(std::move(a));
  }
  // The parameter at `offset` (plain layout `user`) as the primitive wants it.
  memory param(const memory::desc& user, const memory::desc& want, size_t offset) {
    memory u = user_memory(user, init().eng);
    weights.push_back({u, offset});
    if (want == user) return u;
    memory w = own(want);
    reorders.push_back({dnnl::reorder(u, w), {{DNNL_ARG_FROM, u}, {DNNL_ARG_TO, w}}});
    return w;
  }
  memory own(const memory::desc& md) {
    owned.push_back(memory(md, init().eng));
    return owned.back();
  }
  void finish() {
    scratch = memory(md({memory::dim(scratch_bytes / sizeof(float) + 1)}, tag::x), init().eng);
    for (auto& a : args) a.insert({DNNL_ARG_SCRATCHPAD, scratch});
  }
  void run(const float* params, const float* xin, float* yout) {
    dnnl::stream& strm = init().strm;
    for (auto& [m, off] : weights) point(m, params + off);
    if (source != params) {
      for (auto& [r, a] : reorders) r.execute(strm, a);
      source = params;
    }
    point(x, xin);
    y.set_data_handle(yout);
    for (size_t k = 0; k < prims.size(); ++k) prims[k].execute(strm, args[k]);
    strm.wait();
  }
};

inline dnnl::primitive_attr attr_with(bool relu) {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (relu) {
    dnnl::post_ops po;
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    a.set_post_ops(po);
  }
  return a;
}

// dst = act(W src + b); dst is the caller's output (plain nc) when `out` is
// given, else a buffer in the layout oneDNN picks.  Returns dst.
inline memory add_ip(net_state& st, const memory& src, const memory::desc& w_user, size_t w_off, size_t b_off,
                     memory::dim n, memory::dim out, bool relu, const memory* dst_user) {
  const memory::desc bd = md({out}, tag::x);
  const memory::desc dd = dst_user ? dst_user->get_desc() : any({n, out});
  const dnnl::inner_product_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, src.get_desc(), any(w_user.dims()), bd, dd}, attr_with(relu), init().eng);
  const memory W = st.param(w_user, pd.weights_desc(), w_off), b = st.param(bd, bd, b_off);
  const memory dst = dst_user ? *dst_user : st.own(pd.dst_desc());
  st.template add<dnnl::inner_product_forward>(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_BIAS, b},
                                                    {DNNL_ARG_DST, dst}});
  return dst;
}

inline std::string g_impl[2];  // what oneDNN picked: [0] M/L layers, [1] the CNN

template <char Net>
std::unique_ptr<net_state> make_state(size_t n_) {
  const dnnl::engine& eng = init().eng;
  auto st = std::make_unique<net_state>();
  const memory::dim n = memory::dim(n_);
  std::string impl;
  if constexpr (Net == 'C') {
    using namespace cnn;
    const layout& o = offsets();
    const memory::dim ch = memory::dim(channels), s = memory::dim(side), ps = memory::dim(pooled);
    st->x = user_memory(md({n, 1, s, s}, tag::nchw), eng);
    st->y = user_memory(md({n, memory::dim(cnn::out)}, tag::nc), eng);
    const memory::desc wd = md({ch, 1, 3, 3}, tag::oihw), bd = md({ch}, tag::x);
    const dnnl::convolution_forward::primitive_desc cpd(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, st->x.get_desc(), any(wd.dims()), bd,
         any({n, ch, s, s}), {1, 1}, {1, 1}, {1, 1}},
        attr_with(true), eng);
    const memory conv = st->own(cpd.dst_desc());
    {
      const memory W = st->param(wd, cpd.weights_desc(), o.convW), b = st->param(bd, bd, o.convb);
      st->template add<dnnl::convolution_forward>(
          cpd, {{DNNL_ARG_SRC, st->x}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, conv}});
    }
    const dnnl::pooling_forward::primitive_desc ppd({dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                                     conv.get_desc(), any({n, ch, ps, ps}), {2, 2}, {2, 2}, {0, 0},
                                                     {0, 0}},
                                                    attr_with(false), eng);
    const memory pool = st->own(ppd.dst_desc());
    st->template add<dnnl::pooling_forward>(ppd, {{DNNL_ARG_SRC, conv}, {DNNL_ARG_DST, pool}});
    const memory hid = add_ip(*st, pool, md({64, ch, ps, ps}, tag::oihw), o.fcW, o.fcb, n, 64, true, nullptr);
    add_ip(*st, hid, md({memory::dim(cnn::out), 64}, tag::oi), o.outW, o.outb, n, memory::dim(cnn::out), false,
           &st->y);
    impl = std::string("conv ") + cpd.impl_info_str() + ", pooling " + ppd.impl_info_str();
    g_impl[1] = impl;
  } else {
    constexpr auto dims = net_spec<Net>::dims;
    constexpr size_t NL = dims.size() - 1;
    st->x = user_memory(md({n, memory::dim(dims[0])}, tag::nc), eng);
    st->y = user_memory(md({n, memory::dim(dims[NL])}, tag::nc), eng);
    memory src = st->x;
    size_t off = 0;
    for (size_t l = 0; l < NL; ++l) {
      const memory::dim in = memory::dim(dims[l]), out = memory::dim(dims[l + 1]);
      src = add_ip(*st, src, md({out, in}, tag::oi), off, off + dims[l + 1] * dims[l], n, out, l + 1 < NL,
                   l + 1 < NL ? nullptr : &st->y);
      off += dims[l + 1] * dims[l] + dims[l + 1];
    }
  }
  st->finish();
  return st;
}

template <char Net>
void forward(const float* params, const dataset<float>& d, float* out) {
  thread_local std::map<size_t, std::unique_ptr<net_state>> cache;
  auto& slot = cache[d.n];
  if (!slot) slot = make_state<Net>(d.n);
  slot->run(params, d.x_aos.data(), out);
}

// The implementations oneDNN picks: an inner product of L (256 -> 256 over
// 256 samples) and the CNN's conv and pooling.
inline std::string describe() {
  const dnnl::engine& eng = init().eng;
  const dnnl::inner_product_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, any({256, 256}), any({256, 256}), md({256}, tag::x), any({256, 256})},
      attr_with(true), eng);
  (void)make_state<'C'>(cnn::batch);
  return std::string("inner product ") + pd.impl_info_str() + " (weights " +
         (pd.weights_desc() == md({256, 256}, tag::oi) ? "plain" : "reordered") + "); CNN " + g_impl[1];
}
}  // namespace onednn_fwd
#endif

template <char Net>
std::vector<infer_row> infer_rows() {
  std::vector<infer_row> v;
  v.push_back({"tapeless", &tapeless_forward<Net>, true});
  v.push_back({"lanes", &lanes_forward<Net>, true});
#ifdef TLBENCH_HAVE_EIGEN
  v.push_back({"eigen", &eigen_forward<Net>, false});
#endif
#ifdef TAPELESS_BENCH_HAVE_TORCH
  v.push_back({"torch", &torch_forward<Net>, false});
  if constexpr (Net == 'C') v.push_back({"torch_nomkldnn", &torch_forward<Net, false>, false});
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
  v.push_back({"onednn", &onednn_fwd::forward<Net>, false});
#endif
  return v;
}

// ===========================================================================
// Group 2: the conv layer, forward + weight and bias gradients.
namespace convl {
using namespace tapeless;
inline constexpr size_t batch = 256, outputs = cnn::channels * cnn::side * cnn::side;  // 1024 per sample
inline constexpr size_t np = cnn::channels * 9 + cnn::channels;                          // W (16 x 9), b (16)
inline constexpr double flops = 2.0 * cnn::conv_flops;                                    // forward + dW
constexpr auto x = input<"x", image<1, cnn::side, cnn::side>>;
constexpr auto c = input<"c", image<cnn::channels, cnn::side, cnn::side>>;
constexpr auto loss = dot(x | nn::conv2d<"conv", cnn::channels, 3, 1, 1>, c);
using params_t = params<decltype(loss), float>;

// Images and a fixed random cotangent c (uniform in [-1, 1]) in both layouts.
struct data {
  dataset<float> images;
  avector<float> c_aos, c_soa;  // [s][o][i][j] / [(o, i, j)][s]
};
inline data make(size_t n) {
  data d{make_images(n), {}, {}};
  d.c_aos.resize(n * outputs);
  d.c_soa.resize(n * outputs);
  std::mt19937 gen(0xC07A9u);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (size_t s = 0; s < n; ++s)
    for (size_t k = 0; k < outputs; ++k) {
      const float v = float(u(gen));
      d.c_aos[s * outputs + k] = v;
      d.c_soa[k * n + s] = v;
    }
  return d;
}

// The conv layer's parameters (W then b): the CNN's.
inline avector<float> make_params() {
  const avector<float> all = make_cnn_params();
  const cnn::layout& o = cnn::offsets();
  avector<float> p(np);
  std::copy(all.begin() + std::ptrdiff_t(o.convW), all.begin() + std::ptrdiff_t(o.convW + 144), p.begin());
  std::copy(all.begin() + std::ptrdiff_t(o.convb), all.begin() + std::ptrdiff_t(o.convb + 16), p.begin() + 144);
  return p;
}

struct problem {
  data d = make(batch);
  avector<float> params = make_params();
  static problem& get() {
    static problem p;
    return p;
  }
};

// Reference: gW[o][t] = sum_s sum_ij c[s][o][ij] x[s][ij + tap t], gb[o] =
// sum_s sum_ij c[s][o][ij], in double.
inline std::vector<double> reference(const data& d) {
  constexpr size_t side = cnn::side, ch = cnn::channels;
  std::vector<double> g(np, 0.0);
  for (size_t s = 0; s < d.images.n; ++s) {
    const float* xs = d.images.x_aos.data() + s * cnn::in;
    const float* cs = d.c_aos.data() + s * outputs;
    for (size_t o = 0; o < ch; ++o)
      for (size_t i = 0; i < side; ++i)
        for (size_t j = 0; j < side; ++j) {
          const double cv = cs[(o * side + i) * side + j];
          g[144 + o] += cv;
          for (size_t a = 0; a < 3; ++a)
            for (size_t b = 0; b < 3; ++b) {
              const std::ptrdiff_t r = std::ptrdiff_t(i + a) - 1, q = std::ptrdiff_t(j + b) - 1;
              if (r < 0 || q < 0 || r >= std::ptrdiff_t(side) || q >= std::ptrdiff_t(side)) continue;
              g[o * 9 + a * 3 + b] += cv * double(xs[size_t(r) * side + size_t(q)]);
            }
        }
  }
  return g;
}

using grad_fn = void (*)(const float* params, const data& d, float* grad);
struct row {
  const char* name;
  grad_fn fn;
};

// ---- tapeless: batch_engine, made once.  Pack 0 = the engine's default
// (detail::default_pack: 8 for this graph).
template <size_t Pack>
using engine_t = std::conditional_t<Pack == 0, batch_engine<decltype(loss), params_t>,
                                    batch_engine<decltype(loss), params_t, (Pack == 0 ? 1 : Pack)>>;

inline size_t leaf_offset(std::string_view name) {
  for (const auto& leaf : params_t::layout_info())
    if (leaf.name == name) return leaf.offset;
  std::abort();
}

template <size_t Pack>
void tapeless_grad(const float* params, const data& d, float* grad) {
  struct state {
    engine_t<Pack> engine;
    params_t P, G;
    const float* source = nullptr;
  };
  static thread_local std::unique_ptr<state> st = std::make_unique<state>();
  static const size_t oW = leaf_offset("conv.W"), ob = leaf_offset("conv.b");
  if (st->source != params) {
    std::memcpy(st->P.data() + oW, params, 144 * sizeof(float));
    std::memcpy(st->P.data() + ob, params + 144, 16 * sizeof(float));
    st->source = params;
  }
  const float L = st->engine.value_and_grad_into(st->P, st->G, d.images.n, bind<"x">(soa(d.images.x_soa)),
                                                 bind<"c">(soa(d.c_soa)));
  benchmark::DoNotOptimize(L);
  std::memcpy(grad, st->G.data() + oW, 144 * sizeof(float));
  std::memcpy(grad + 144, st->G.data() + ob, 16 * sizeof(float));
}

#ifdef TAPELESS_BENCH_HAVE_TORCH
template <bool Mkldnn>
void torch_grad(const float* params, const data& d, float* grad) {
  peers::torch_peer::init();
  const mkldnn_setting<Mkldnn> backend;
  const auto opt = at::TensorOptions().dtype(at::kFloat);
  const int64_t n = int64_t(d.images.n), ch = int64_t(cnn::channels), s = int64_t(cnn::side);
  auto blob = [&](const float* p, std::vector<int64_t> sizes) {
    return at::from_blob(const_cast<float*>(p), sizes, opt);
  };
  const at::Tensor X = blob(d.images.x_aos.data(), {n, 1, s, s});
  const at::Tensor C = blob(d.c_aos.data(), {n, ch, s, s});
  const at::Tensor W = blob(params, {ch, 1, 3, 3}).requires_grad_(true);
  const at::Tensor b = blob(params + 144, {ch}).requires_grad_(true);
  const at::Tensor Y = at::conv2d(X, W, b, {1, 1}, {1, 1});
  const std::vector<at::Tensor> g = torch::autograd::grad({Y}, {W, b}, {C});
  std::memcpy(grad, g[0].contiguous().data_ptr<float>(), 144 * sizeof(float));
  std::memcpy(grad + 144, g[1].contiguous().data_ptr<float>(), 16 * sizeof(float));
}
#endif

#ifdef TLBENCH_HAVE_EIGEN
// im2col, Y = W cols + b (forward), gW = C cols^T and gb = C 1 per sample.
inline void eigen_grad(const float* params, const data& d, float* grad) {
  constexpr Eigen::Index pix = Eigen::Index(cnn::side * cnn::side), ch = Eigen::Index(cnn::channels);
  const Eigen::Index n = Eigen::Index(d.images.n);
  thread_local emat cols, Y;
  im2col(d.images, cols);
  Eigen::Map<const ermat> W(params, ch, 9);
  Y.resize(ch, n * pix);
  Y.noalias() = W * cols;
  Y.colwise() += Eigen::Map<const evec>(params + 144, ch);
  benchmark::DoNotOptimize(Y.data());
  Eigen::Map<ermat> gW(grad, ch, 9);
  Eigen::Map<evec> gb(grad + 144, ch);
  gW.setZero();
  gb.setZero();
  for (Eigen::Index s = 0; s < n; ++s) {
    // C_s: 64 x 16 column-major view of c_aos[s] ([o][pixel]).
    Eigen::Map<const emat> Cs(d.c_aos.data() + s * ch * pix, pix, ch);
    gW.noalias() += Cs.transpose() * cols.middleCols(s * pix, pix).transpose();
    gb += Cs.colwise().sum().transpose();
  }
}
#endif

inline std::vector<row> rows() {
  std::vector<row> v;
  v.push_back({"tapeless", &tapeless_grad<0>});
  v.push_back({"tapeless_pack4", &tapeless_grad<4>});  // the same with Pack = 4 (workspace 1.3 MB, not 2.6)
#ifdef TAPELESS_BENCH_HAVE_TORCH
  v.push_back({"torch", &torch_grad<true>});
  v.push_back({"torch_nomkldnn", &torch_grad<false>});
#endif
#ifdef TLBENCH_HAVE_EIGEN
  v.push_back({"eigen", &eigen_grad});
#endif
  return v;
}
}  // namespace convl

// ===========================================================================
// Checks.
constexpr double norm_tolerance = 1e-4, elem_tolerance = 1e-3;
std::map<std::string, double> g_errors, g_norm_errors;  // benchmark name -> worst over full batch and tails
bool g_failed = false;

// Normwise relative error: max_j |o_j - r_j| / max_j |r_j|.
template <class T>
double norm_rel_error(const T* o, const double* r, size_t count) {
  double rmax = 0, e = 0;
  for (size_t j = 0; j < count; ++j) rmax = std::max(rmax, std::abs(r[j]));
  for (size_t j = 0; j < count; ++j) {
    const double d = std::abs(double(o[j]) - r[j]);
    if (!(d <= e)) e = d;  // propagates NaN
  }
  return e / (rmax + 1e-300);
}

// Records both errors of one row on one batch; true if both are within
// their tolerances.
template <class T>
bool judge(const std::string& name, const T* o, const double* r, size_t count, double& elem, double& norm) {
  elem = max_rel_error(o, r, count);
  norm = norm_rel_error(o, r, count);
  auto worst = [](double& slot, double e) { slot = std::max(slot, std::isnan(e) ? HUGE_VAL : e); };
  worst(g_errors[name], elem);
  worst(g_norm_errors[name], norm);
  const bool ok = norm <= norm_tolerance && elem <= elem_tolerance;
  if (!ok) g_failed = true;
  return ok;
}

template <char Net>
void check_infer() {
  constexpr size_t k = inet<Net>::out;
  const auto& p = problem<Net>::get();
  std::fprintf(stderr, "check %-28s out %zu  params %zu\n", inet<Net>::name, k, p.params.size());
  for (size_t n : {inet<Net>::batch, size_t(1), size_t(7), size_t(37)}) {
    const dataset<float> d = n == inet<Net>::batch ? p.data : make_data<Net>(n);
    const std::vector<double> ref = reference_forward<Net>(p.params, d);
    for (const auto& r : infer_rows<Net>()) {
      avector<float> out(n * k, std::numeric_limits<float>::quiet_NaN());
      r.fn(p.params.data(), d, out.data());
      std::vector<float> aos(n * k);
      for (size_t s = 0; s < n; ++s)
        for (size_t e = 0; e < k; ++e) aos[s * k + e] = r.feature_major ? out[e * n + s] : out[s * k + e];
      double elem, norm;
      const bool ok = judge("infer/" + net_label<Net>() + "/" + r.name, aos.data(), ref.data(), n * k, elem, norm);
      if (n == inet<Net>::batch || !ok)
        std::fprintf(stderr, "  n=%-5zu %-9s normwise %.2e  elementwise %.2e  %s\n", n, r.name, norm, elem,
                     ok ? "ok" : "FAIL");
    }
  }
  double worst = 0, worst_norm = 0;
  for (const auto& r : infer_rows<Net>()) {
    worst = std::max(worst, g_errors["infer/" + net_label<Net>() + "/" + r.name]);
    worst_norm = std::max(worst_norm, g_norm_errors["infer/" + net_label<Net>() + "/" + r.name]);
  }
  std::fprintf(stderr, "  worst over n = %zu, 1, 7, 37 and all rows: normwise %.2e, elementwise %.2e\n",
               inet<Net>::batch, worst_norm, worst);
}

void check_conv() {
  const auto& p = convl::problem::get();
  std::fprintf(stderr, "check conv layer 1->16 3x3 pad 1 (W and b gradients)\n");
  for (size_t n : {convl::batch, size_t(1), size_t(7), size_t(37)}) {
    const convl::data d = n == convl::batch ? p.d : convl::make(n);
    const std::vector<double> ref = convl::reference(d);
    for (const auto& r : convl::rows()) {
      avector<float> g(convl::np, std::numeric_limits<float>::quiet_NaN());
      r.fn(p.params.data(), d, g.data());
      double elem, norm;
      const bool ok = judge(std::string("conv/digits/") + r.name, g.data(), ref.data(), convl::np, elem, norm);
      if (n == convl::batch || !ok)
        std::fprintf(stderr, "  n=%-5zu %-9s normwise %.2e  elementwise %.2e  %s\n", n, r.name, norm, elem,
                     ok ? "ok" : "FAIL");
    }
  }
  double worst = 0, worst_norm = 0;
  for (const auto& r : convl::rows()) {
    worst = std::max(worst, g_errors[std::string("conv/digits/") + r.name]);
    worst_norm = std::max(worst_norm, g_norm_errors[std::string("conv/digits/") + r.name]);
  }
  std::fprintf(stderr, "  worst over n = %zu, 1, 7, 37 and all rows: normwise %.2e, elementwise %.2e\n",
               convl::batch, worst_norm, worst);
}

// ===========================================================================
// Registration.
void set_counters(benchmark::State& st, double n, double flops, const std::string& name) {
  st.counters["samples"] = n;
  st.counters["ns_per_sample"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["GFLOP/s"] = benchmark::Counter(n * flops, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["max_rel_err"] = g_errors[name];
  st.counters["norm_rel_err"] = g_norm_errors[name];
}

template <char Net>
void register_infer() {
  for (const auto& r : infer_rows<Net>()) {
    const std::string name = "infer/" + net_label<Net>() + "/" + r.name;
    const infer_fn fn = r.fn;
    benchmark::RegisterBenchmark(name.c_str(), [fn, name](benchmark::State& st) {
      auto& p = problem<Net>::get();
      avector<float> out(p.data.n * inet<Net>::out);
      for (auto _ : st) {
        fn(p.params.data(), p.data, out.data());
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
      }
      set_counters(st, double(p.data.n), inet<Net>::flops, name);
    });
  }
}

void register_conv() {
  for (const auto& r : convl::rows()) {
    const std::string name = std::string("conv/digits/") + r.name;
    const convl::grad_fn fn = r.fn;
    benchmark::RegisterBenchmark(name.c_str(), [fn, name](benchmark::State& st) {
      auto& p = convl::problem::get();
      avector<float> g(convl::np);
      for (auto _ : st) {
        fn(p.params.data(), p.d, g.data());
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
      }
      set_counters(st, double(p.d.images.n), convl::flops, name);
    });
  }
}

// ===========================================================================
// Reporter: forwards to the console or JSON reporter and prints a summary
// (medians when there are repetitions) to stderr at the end.
class summary_reporter : public benchmark::BenchmarkReporter {
 public:
  explicit summary_reporter(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {
    inner_->SetOutputStream(&std::cout);
    inner_->SetErrorStream(&std::cerr);
  }
  bool ReportContext(const Context& c) override { return inner_->ReportContext(c); }
  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      auto& row = rows_[r.run_name.str()];
      if (row.order == 0) row.order = ++count_;
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name != "median") continue;
        row.median = true;
      } else if (row.median) {
        continue;
      }
      const auto ns = r.counters.find("ns_per_sample");
      const auto gf = r.counters.find("GFLOP/s");
      row.ns = ns != r.counters.end() ? ns->second.value * 1e9 : std::nan("");
      row.gflops = gf != r.counters.end() ? gf->second.value * 1e-9 : std::nan("");
    }
  }
  void Finalize() override {
    inner_->Finalize();
    std::vector<std::pair<std::string, const row_t*>> v;
    for (const auto& [k, r] : rows_) v.push_back({k, &r});
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->order < b.second->order; });
    double peak = 0;
    for (const auto& [name, r] : v)
      if (name.rfind("peak/fma_f32", 0) == 0 && r->gflops > peak) peak = r->gflops;
    auto pct = [&](double gf) { return peak > 0 ? 100.0 * gf / peak : std::nan(""); };

    if (peak > 0) std::fprintf(stderr, "\nFP32 peak (best peak/fma_f32_* row): %.1f GFLOP/s\n", peak);
    else std::fprintf(stderr, "\nFP32 peak: not measured in this run (no peak/fma_f32_* row), %% of peak left out\n");
    std::fprintf(stderr, "\n| group | net | implementation | output | ns/sample | GFLOP/s | %% of peak | tapeless / this | "
                         "normwise err | elementwise err |\n");
    std::fprintf(stderr, "|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    std::map<std::string, std::pair<std::string, double>> best;  // group/net -> best other
    std::vector<std::string> order;
    for (const auto& [name, r] : v) {
      const auto s1 = name.find('/'), s2 = name.find('/', s1 + 1);
      if (s2 == std::string::npos) continue;
      const std::string prefix = name.substr(0, s2 + 1), impl = name.substr(s2 + 1);
      const auto t = rows_.find(prefix + "tapeless");
      const double ratio = t != rows_.end() ? t->second.ns / r->ns : std::nan("");
      const auto e = g_errors.find(name);
      const auto ne = g_norm_errors.find(name);
      const bool infer = name.rfind("infer/", 0) == 0;
      const char* layout = !infer ? "" : (impl == "tapeless" || impl == "lanes") ? "feature-major" : "sample-major";
      char pct_text[32] = "-";
      if (peak > 0) std::snprintf(pct_text, sizeof pct_text, "%.1f", pct(r->gflops));
      std::fprintf(stderr, "| %s | %s | %s | %s | %.3f | %.1f | %s | %.2fx | %.1e | %.1e |\n",
                   name.substr(0, s1).c_str(), name.substr(s1 + 1, s2 - s1 - 1).c_str(), impl.c_str(), layout, r->ns,
                   r->gflops, pct_text, ratio, ne != g_norm_errors.end() ? ne->second : std::nan(""),
                   e != g_errors.end() ? e->second : std::nan(""));
      const std::string key = name.substr(0, s2);
      if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
      if (impl.rfind("tapeless", 0) != 0) {
        auto& b = best[key];
        if (b.first.empty() || r->ns < b.second) b = {impl, r->ns};
      }
    }
    std::fprintf(stderr, "\n| group/net | tapeless ns/sample | best other | its ns/sample | tapeless / best other |\n");
    std::fprintf(stderr, "|---|---:|---|---:|---:|\n");
    for (const auto& key : order) {
      const auto t = rows_.find(key + "/tapeless");
      const auto b = best.find(key);
      if (t == rows_.end() || b == best.end()) continue;
      std::fprintf(stderr, "| %s | %.3f | %s | %.3f | %.2fx |\n", key.c_str(), t->second.ns, b->second.first.c_str(),
                   b->second.second, t->second.ns / b->second.second);
    }
  }

 private:
  struct row_t {
    int order = 0;
    bool median = false;
    double ns = 0, gflops = 0;
  };
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::map<std::string, row_t> rows_;
  int count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string format = "console";
  bool check_only = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
    if (std::strcmp(argv[i], "--check_only") == 0) {
      check_only = true;
      continue;
    }
    args.push_back(argv[i]);
  }
  int ac = int(args.size());
  benchmark::Initialize(&ac, args.data());
  if (benchmark::ReportUnrecognizedArguments(ac, args.data())) return 2;

  std::fprintf(stderr, "lanes: %s, %zu floats per register\n", lanes::arch::name(), lanes::vec<float>::size);
  {
    using namespace tapeless;
    using mp = batch_predictor<decltype(forward_expr<'M'>()), params<decltype(forward_expr<'M'>()), float>>;
    using lp = batch_predictor<decltype(forward_expr<'L'>()), params<decltype(forward_expr<'L'>()), float>>;
    using cp = batch_predictor<decltype(cnn::logits), cnn::params_t>;
    using ce = convl::engine_t<0>;
    std::fprintf(stderr,
                 "tapeless: batch_predictor Pack M %zu, L %zu, CNN %zu (workspace %zu / %zu / %zu KiB); conv "
                 "batch_engine Pack %zu (%zu KiB)\n",
                 mp::pack, lp::pack, cp::pack, mp::bytes / 1024, lp::bytes / 1024, cp::bytes / 1024, ce::pack,
                 ce::bytes / 1024);
  }
#ifdef TAPELESS_BENCH_HAVE_TORCH
  peers::torch_peer::describe();
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
  peers::onednn_peer::describe();
  {
    const std::string impl = onednn_fwd::describe();
    std::fprintf(stderr, "onednn inference: %s\n", impl.c_str());
    benchmark::AddCustomContext("onednn_inference", impl);
  }
#endif
  check_infer<'M'>();
  check_infer<'L'>();
  check_infer<'C'>();
  check_conv();
  if (check_only) {
    if (g_failed) std::fprintf(stderr, "\nCHECK FAILED (see above)\n");
    return g_failed ? 1 : 0;
  }

#ifdef TLB_HAVE_PEAK
  benchmark::RegisterBenchmark("peak/fma_f32_8acc", peak_fma<'s', 8>);
  benchmark::RegisterBenchmark("peak/fma_f32_16acc", peak_fma<'s', 16>);
  benchmark::RegisterBenchmark("peak/fma_f32_24acc", peak_fma<'s', 24>);
#endif
  register_infer<'M'>();
  register_infer<'L'>();
  register_infer<'C'>();
  register_conv();

  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json") inner = std::make_unique<benchmark::JSONReporter>();
  else inner = std::make_unique<benchmark::ConsoleReporter>();
  summary_reporter rep(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  if (g_failed) std::fprintf(stderr, "\nCHECK FAILED (see above)\n");
  return g_failed ? 1 : 0;
}
