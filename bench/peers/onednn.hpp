// Peer: oneDNN (Debian 12 libdnnl-dev 2.6, CPU engine), the networks built
// from its inner-product and ReLU primitives.  Built in only with
// -DTAPELESS_BENCH_HAVE_ONEDNN.
//
// The whole batch goes through each layer at once, in oneDNN's plain layouts:
// activations "nc" (n x units, row-major: x_aos as it is), W "oi" (out x in,
// row-major: the parameter layout of common.hpp), b "x".  Per layer:
//   forward           inner_product_forward (forward_training), ReLU fused as
//                     an eltwise post-op on hidden layers;
//   backward          eltwise_backward (relu_use_dst_for_bwd: the mask comes
//                     from the layer's output, > 0 exactly where z > 0),
//                     inner_product_backward_weights (gW and gb straight into
//                     grad), inner_product_backward_data (not for the first
//                     layer, whose dx nobody needs).
// The loss 0.5 * ||yhat - y||^2, its adjoint and the residual adds of R are
// plain loops.  R's 32 blocks share one set of primitives (same shapes), run
// with each block's memory objects.
//
// Everything is created once per network and batch size (thread_local
// cache in loss_grad): primitive descriptors, primitives, memory objects,
// the argument maps and one user-mode scratchpad shared by all primitives.
// A call only points the parameter, gradient and data memories at this
// call's buffers (memory::set_data_handle, no allocation) and executes.
//
// Threads: Debian's oneDNN uses the OpenMP runtime (DNNL_CPU_RUNTIME = OMP,
// libgomp, checked by meson) and runs each primitive on omp_get_max_threads()
// threads.  init() calls omp_set_num_threads(1) before the first primitive
// is made, so every row is single-threaded whatever OMP_NUM_THREADS says.
//
// float only: oneDNN 2.6 has no f64 data type (it came in later versions), so
// there are no onednn rows for the double networks.
// ReLU: eltwise_relu backward passes the adjoint where the output is > 0, so
// the kink subgradient is 0, as in the scalar reference.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common.hpp"

namespace tlbench::peers::onednn_peer {

using dnnl::memory;
using args_t = std::unordered_map<int, memory>;

// The engine and stream, made once; the thread count is set before them.
struct runtime {
  dnnl::engine eng;
  dnnl::stream strm;
  runtime() : eng(make_engine()), strm(eng) {}
  static dnnl::engine make_engine() {
    omp_set_num_threads(1);
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }
};

inline runtime& init() {
  static runtime r;
  return r;
}

inline memory::desc md(memory::dims dims, memory::format_tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}

// The primitives of one dense layer (in -> out) over a batch of n: no
// memory, so R's blocks can share them.
struct layer_prims {
  dnnl::inner_product_forward::primitive_desc fwd_pd;
  dnnl::inner_product_backward_data::primitive_desc bwd_data_pd;
  dnnl::inner_product_backward_weights::primitive_desc bwd_weights_pd;
  dnnl::eltwise_backward::primitive_desc relu_bwd_pd;
  dnnl::inner_product_forward fwd;
  dnnl::inner_product_backward_data bwd_data;
  dnnl::inner_product_backward_weights bwd_weights;
  dnnl::eltwise_backward relu_bwd;  // empty without ReLU

  layer_prims(const dnnl::engine& eng, memory::dim n, memory::dim in, memory::dim out, bool relu) {
    using namespace dnnl;
    const memory::desc src = md({n, in}, memory::format_tag::nc), w = md({out, in}, memory::format_tag::oi),
                       b = md({out}, memory::format_tag::x), dst = md({n, out}, memory::format_tag::nc);
    // Two attribute objects: copying a primitive_attr copies a handle to the
    // same attributes, and the backward primitives take no post-ops.
    primitive_attr attr, fwd_attr;
    attr.set_scratchpad_mode(scratchpad_mode::user);
    fwd_attr.set_scratchpad_mode(scratchpad_mode::user);
    if (relu) {
      post_ops po;
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      fwd_attr.set_post_ops(po);
    }
    fwd_pd = {{prop_kind::forward_training, src, w, b, dst}, fwd_attr, eng};
    bwd_data_pd = {{src, w, dst}, attr, eng, fwd_pd};
    bwd_weights_pd = {{src, w, b, dst}, attr, eng, fwd_pd};
    fwd = inner_product_forward(fwd_pd);
    bwd_data = inner_product_backward_data(bwd_data_pd);
    bwd_weights = inner_product_backward_weights(bwd_weights_pd);
    if (relu) {
      const eltwise_forward::primitive_desc hint(
          {prop_kind::forward_training, algorithm::eltwise_relu_use_dst_for_bwd, dst, 0.f, 0.f}, attr, eng);
      relu_bwd_pd = {{algorithm::eltwise_relu_use_dst_for_bwd, dst, dst, 0.f, 0.f}, attr, eng, hint};
      relu_bwd = eltwise_backward(relu_bwd_pd);
    }
  }

  std::size_t scratchpad_bytes() const {
    std::size_t s = std::max({fwd_pd.scratchpad_desc().get_size(), bwd_data_pd.scratchpad_desc().get_size(),
                              bwd_weights_pd.scratchpad_desc().get_size()});
    if (relu_bwd) s = std::max(s, relu_bwd_pd.scratchpad_desc().get_size());
    return s;
  }
};

// A memory object whose buffer is set per call (parameters, gradient, data).
inline memory user_memory(const memory::desc& d, const dnnl::engine& eng) {
  return memory(d, eng, DNNL_MEMORY_NONE);
}

inline void point(const memory& m, const float* p) { m.set_data_handle(const_cast<float*>(p)); }

// One layer's parameter and gradient memories (handles set per call) and
// the argument maps of its primitives.
struct layer_args {
  memory W, b, gW, gb;
  args_t fwd, relu_bwd, bwd_weights, bwd_data;
};

inline layer_args make_layer_args(const dnnl::engine& eng, memory::dim in, memory::dim out, const memory& src,
                                  const memory& dst, const memory& diff_dst, const memory& diff_z,
                                  const memory& diff_src, const memory& scratch) {
  layer_args a;
  a.W = user_memory(md({out, in}, memory::format_tag::oi), eng);
  a.gW = user_memory(md({out, in}, memory::format_tag::oi), eng);
  a.b = user_memory(md({out}, memory::format_tag::x), eng);
  a.gb = user_memory(md({out}, memory::format_tag::x), eng);
  a.fwd = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, a.W}, {DNNL_ARG_BIAS, a.b}, {DNNL_ARG_DST, dst},
           {DNNL_ARG_SCRATCHPAD, scratch}};
  a.relu_bwd = {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_z},
                {DNNL_ARG_SCRATCHPAD, scratch}};
  a.bwd_weights = {{DNNL_ARG_SRC, src},        {DNNL_ARG_DIFF_DST, diff_z}, {DNNL_ARG_DIFF_WEIGHTS, a.gW},
                   {DNNL_ARG_DIFF_BIAS, a.gb}, {DNNL_ARG_SCRATCHPAD, scratch}};
  a.bwd_data = {{DNNL_ARG_DIFF_DST, diff_z}, {DNNL_ARG_WEIGHTS, a.W}, {DNNL_ARG_DIFF_SRC, diff_src},
                {DNNL_ARG_SCRATCHPAD, scratch}};
  return a;
}

inline void set_params(layer_args& a, std::size_t in, std::size_t out, const float* p, float* g) {
  point(a.W, p);
  point(a.b, p + out * in);
  point(a.gW, g);
  point(a.gb, g + out * in);
}

template <std::size_t NDims>
struct mlp_state {
  static constexpr std::size_t NL = NDims - 1;
  std::vector<layer_prims> prims;
  std::vector<memory> act, diff;  // act[0] = x (per call), act[l] layer l - 1's output; diff[l] = d loss / d act[l]
  memory scratch;
  std::vector<layer_args> args;
  std::size_t off[NL];

  mlp_state(const std::array<std::size_t, NDims>& dims, std::size_t n) {
    const dnnl::engine& eng = init().eng;
    const memory::dim N = memory::dim(n);
    std::size_t scratch_bytes = 0, p = 0;
    for (std::size_t l = 0; l < NL; ++l) {
      prims.emplace_back(eng, N, memory::dim(dims[l]), memory::dim(dims[l + 1]), l + 1 < NL);
      scratch_bytes = std::max(scratch_bytes, prims.back().scratchpad_bytes());
      off[l] = p;
      p += dims[l + 1] * dims[l] + dims[l + 1];
    }
    scratch = memory(md({memory::dim(scratch_bytes / sizeof(float) + 1)}, memory::format_tag::x), eng);
    for (std::size_t l = 0; l <= NL; ++l) {
      const memory::desc d = md({N, memory::dim(dims[l])}, memory::format_tag::nc);
      act.push_back(l == 0 ? user_memory(d, eng) : memory(d, eng));
      diff.push_back(l == 0 ? memory() : memory(d, eng));
    }
    for (std::size_t l = 0; l < NL; ++l)  // ReLU backward in place on diff[l + 1]
      args.push_back(make_layer_args(eng, memory::dim(dims[l]), memory::dim(dims[l + 1]), act[l], act[l + 1],
                                     diff[l + 1], diff[l + 1], diff[l], scratch));
  }
};

template <std::size_t NDims>
float mlp(const std::array<std::size_t, NDims>& dims, mlp_state<NDims>& st, const float* params,
          const dataset<float>& d, float* grad) {
  constexpr std::size_t NL = NDims - 1;
  dnnl::stream& strm = init().strm;

  point(st.act[0], d.x_aos.data());
  for (std::size_t l = 0; l < NL; ++l) set_params(st.args[l], dims[l], dims[l + 1], params + st.off[l], grad + st.off[l]);

  for (std::size_t l = 0; l < NL; ++l) st.prims[l].fwd.execute(strm, st.args[l].fwd);
  strm.wait();

  // Loss and its adjoint, sample-major like yhat and y_aos.
  const float* yhat = static_cast<const float*>(st.act[NL].get_data_handle());
  float* r = static_cast<float*>(st.diff[NL].get_data_handle());
  float loss = 0;
  for (std::size_t j = 0; j < d.n * dims[NL]; ++j) {
    r[j] = yhat[j] - d.y_aos[j];
    loss += 0.5f * r[j] * r[j];
  }

  for (std::size_t l = NL; l-- > 0;) {
    const layer_prims& p = st.prims[l];
    if (p.relu_bwd) p.relu_bwd.execute(strm, st.args[l].relu_bwd);
    p.bwd_weights.execute(strm, st.args[l].bwd_weights);
    if (l > 0) p.bwd_data.execute(strm, st.args[l].bwd_data);
  }
  strm.wait();
  return loss;
}

struct residual_state {
  layer_prims prims;
  std::vector<memory> h, r;  // h[k] enters block k (h[0] = x, per call), r[k] = relu(W_k h[k] + b_k)
  memory g, dz, dh, scratch;  // d loss / d h[k + 1], d loss / d z_k, W_k^T dz
  std::vector<layer_args> args;

  residual_state(std::size_t width, std::size_t blocks, std::size_t n)
      : prims(init().eng, memory::dim(n), memory::dim(width), memory::dim(width), true) {
    const dnnl::engine& eng = init().eng;
    const memory::dim W = memory::dim(width);
    const memory::desc d = md({memory::dim(n), W}, memory::format_tag::nc);
    for (std::size_t k = 0; k <= blocks; ++k) h.push_back(k == 0 ? user_memory(d, eng) : memory(d, eng));
    for (std::size_t k = 0; k < blocks; ++k) r.push_back(memory(d, eng));
    g = memory(d, eng);
    dz = memory(d, eng);
    dh = memory(d, eng);
    scratch = memory(md({memory::dim(prims.scratchpad_bytes() / sizeof(float) + 1)}, memory::format_tag::x), eng);
    for (std::size_t k = 0; k < blocks; ++k) args.push_back(make_layer_args(eng, W, W, h[k], r[k], g, dz, dh, scratch));
  }
};

inline float residual(std::size_t width, std::size_t blocks, residual_state& st, const float* params,
                      const dataset<float>& d, float* grad) {
  dnnl::stream& strm = init().strm;
  const std::size_t per = width * width + width, nw = d.n * width;
  auto data = [](const memory& m) { return static_cast<float*>(m.get_data_handle()); };

  point(st.h[0], d.x_aos.data());
  for (std::size_t k = 0; k < blocks; ++k) set_params(st.args[k], width, width, params + k * per, grad + k * per);

  for (std::size_t k = 0; k < blocks; ++k) {
    st.prims.fwd.execute(strm, st.args[k].fwd);  // r[k] = relu(W_k h[k] + b_k)
    strm.wait();
    const float* hk = data(st.h[k]);
    const float* rk = data(st.r[k]);
    float* hn = data(st.h[k + 1]);
    for (std::size_t j = 0; j < nw; ++j) hn[j] = hk[j] + rk[j];
  }

  float* g = data(st.g);
  const float* hl = data(st.h[blocks]);
  float loss = 0;
  for (std::size_t j = 0; j < nw; ++j) {
    g[j] = hl[j] - d.y_aos[j];
    loss += 0.5f * g[j] * g[j];
  }

  const float* dh = data(st.dh);
  for (std::size_t k = blocks; k-- > 0;) {
    st.prims.relu_bwd.execute(strm, st.args[k].relu_bwd);  // dz = relu'(r[k]) g
    st.prims.bwd_weights.execute(strm, st.args[k].bwd_weights);
    if (k == 0) break;
    st.prims.bwd_data.execute(strm, st.args[k].bwd_data);  // dh = W_k^T dz
    strm.wait();
    for (std::size_t j = 0; j < nw; ++j) g[j] += dh[j];  // the residual path
  }
  strm.wait();
  return loss;
}

// One state (primitives, memories) per network and batch size, made on the
// first call with that batch size.
template <class State, class... Args>
State& cached(std::map<std::size_t, std::unique_ptr<State>>& cache, std::size_t n, const Args&... args) {
  auto& slot = cache[n];
  if (!slot) slot = std::make_unique<State>(args..., n);
  return *slot;
}

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  static_assert(std::is_same_v<T, float>, "oneDNN 2.6 has no f64: float rows only");
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) {
    thread_local std::map<std::size_t, std::unique_ptr<mlp_state<S::dims.size()>>> cache;
    return mlp(S::dims, cached(cache, d.n, S::dims), params, d, grad);
  } else {
    thread_local std::map<std::size_t, std::unique_ptr<residual_state>> cache;
    return residual(S::width, S::blocks, cached(cache, d.n, S::width, S::blocks), params, d, grad);
  }
}

inline void describe() {
  const runtime& rt = init();
  const dnnl_version_t* v = dnnl_version();
  // Which implementations oneDNN picks, on M's middle layer (32 -> 32).
  const layer_prims p(rt.eng, 1024, 32, 32, true);
  const std::string impl = std::string("forward ") + p.fwd_pd.impl_info_str() + ", backward-data " +
                           p.bwd_data_pd.impl_info_str() + ", backward-weights " + p.bwd_weights_pd.impl_info_str() +
                           ", relu backward " + p.relu_bwd_pd.impl_info_str();
  std::fprintf(stderr, "onednn %d.%d.%d: %d OpenMP thread(s); %s\n", v->major, v->minor, v->patch,
               omp_get_max_threads(), impl.c_str());
  benchmark::AddCustomContext("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                            std::to_string(v->patch) + ", " + std::to_string(omp_get_max_threads()) +
                                            " thread(s); " + impl);
}

}  // namespace tlbench::peers::onednn_peer
