// Peer: LibTorch (Debian 12 libtorch-dev 1.13.1, CPU), the whole batch as
// tensors, autograd backward.  Built in only with -DTAPELESS_BENCH_HAVE_TORCH.
//
// Per call: the data (x_aos as an n x in matrix, y_aos as n x out) and each
// layer's W (out x in, row-major, as in common.hpp) and b are wrapped with
// at::from_blob (no copy); W and b are leaves with requires_grad, like the
// parameters of an nn::Linear.  Forward per layer Z = addmm(b, A, W^T),
// A' = relu(Z) on hidden layers; loss = 0.5 * sum((Yhat - Y)^2).
// torch::autograd::grad(loss, leaves) returns the gradients without touching
// .grad, and they are copied into grad.  So each call pays the graph build
// and the autograd engine once, not per sample.  relu's backward passes the
// adjoint where the output is > 0: the kink subgradient is 0, as in the
// scalar reference.
//
// Threads: at::set_num_threads(1) and at::set_num_interop_threads(1), once,
// before the first call (init()).  Matrix products go to whatever BLAS
// libtorch_cpu.so was linked with; describe() prints torch's own build
// config (BLAS_INFO) and the libblas file actually mapped into the process
// (Debian's alternatives choose between the reference BLAS and OpenBLAS),
// and adds it to Google Benchmark's context (torch_blas).
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace tlbench::peers::torch_peer {

inline void init() {
  static const bool done = [] {
    at::set_num_threads(1);
    at::set_num_interop_threads(1);
    return true;
  }();
  (void)done;
}

// The BLAS / LAPACK shared objects mapped into this process (resolved
// paths, so the alternatives symlink shows its target).
inline std::string mapped_blas() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const auto base = path.substr(path.rfind('/') + 1);
    if (base.find("blas") != std::string::npos || base.find("mkl") != std::string::npos ||
        base.find("lapack") != std::string::npos)
      libs.insert(path);
  }
  std::string r;
  for (const auto& l : libs) r += (r.empty() ? "" : ", ") + l;
  return r.empty() ? "none mapped" : r;
}

inline void describe() {
  init();
  const std::string cfg = at::show_config();
  std::string blas_info = "?";
  std::istringstream is(cfg);
  std::string line;
  while (std::getline(is, line)) {
    const auto p = line.find("BLAS_INFO=");
    if (p != std::string::npos) {
      blas_info = line.substr(p + 10);
      const auto comma = blas_info.find(',');
      if (comma != std::string::npos) blas_info.resize(comma);
    }
  }
  const std::string mapped = mapped_blas();
  std::fprintf(stderr, "torch %s: %d intra-op / %d inter-op threads, BLAS_INFO=%s, mapped: %s\n", TORCH_VERSION,
               at::get_num_threads(), at::get_num_interop_threads(), blas_info.c_str(), mapped.c_str());
  benchmark::AddCustomContext("torch_blas", "BLAS_INFO=" + blas_info + "; mapped: " + mapped);
}

template <class T>
T run(std::span<const std::size_t> dims, bool residual, std::size_t blocks, const T* params, const dataset<T>& d,
      T* grad) {
  init();
  const auto opt = at::TensorOptions().dtype(std::is_same_v<T, float> ? at::kFloat : at::kDouble);
  const int64_t n = int64_t(d.n);
  auto blob = [&](const T* p, std::vector<int64_t> sizes) { return at::from_blob(const_cast<T*>(p), sizes, opt); };
  const at::Tensor X = blob(d.x_aos.data(), {n, int64_t(d.in)});
  const at::Tensor Y = blob(d.y_aos.data(), {n, int64_t(d.out)});
  std::vector<at::Tensor> leaves;  // W0, b0, W1, b1, ... (grad layout order)
  std::vector<std::size_t> offs;
  std::size_t k = 0;
  const std::size_t layers = residual ? blocks : dims.size() - 1;
  for (std::size_t l = 0; l < layers; ++l) {
    const std::size_t ni = residual ? dims[0] : dims[l], no = residual ? dims[0] : dims[l + 1];
    leaves.push_back(blob(params + k, {int64_t(no), int64_t(ni)}).requires_grad_(true));
    offs.push_back(k);
    k += no * ni;
    leaves.push_back(blob(params + k, {int64_t(no)}).requires_grad_(true));
    offs.push_back(k);
    k += no;
  }
  at::Tensor A = X;
  for (std::size_t l = 0; l < layers; ++l) {
    at::Tensor Z = at::addmm(leaves[2 * l + 1], A, leaves[2 * l].t());
    if (residual) A = A + at::relu(Z);
    else A = (l + 1 < layers) ? at::relu(Z) : Z;
  }
  const at::Tensor loss = 0.5 * (A - Y).pow(2).sum();
  const std::vector<at::Tensor> g = torch::autograd::grad({loss}, leaves);
  for (std::size_t i = 0; i < g.size(); ++i) {
    const at::Tensor gi = g[i].contiguous();
    std::memcpy(grad + offs[i], gi.template data_ptr<T>(), std::size_t(gi.numel()) * sizeof(T));
  }
  return loss.template item<T>();
}

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) {
    return run<T>(std::span<const std::size_t>(S::dims.data(), S::dims.size()), false, 0, params, d, grad);
  } else {
    const std::size_t w[1] = {S::width};
    return run<T>(std::span<const std::size_t>(w, 1), true, S::blocks, params, d, grad);
  }
}

}  // namespace tlbench::peers::torch_peer
