// Optional peer libraries for the benchmark (issue #3).  Each peer is a
// header of its own, included only when Meson found the library and passed
// its define (bench/meson.build):
//   TAPELESS_BENCH_HAVE_ADOLC   adolc.hpp   ADOL-C tape, per-sample replay
//   TAPELESS_BENCH_HAVE_SACADO  sacado.hpp  Sacado::Rad reverse mode, per sample
//   TAPELESS_BENCH_HAVE_TORCH   torch.hpp   LibTorch autograd, whole batch
//   TAPELESS_BENCH_HAVE_ONEDNN  onednn.hpp  oneDNN inner-product primitives, whole batch (float)
//   TAPELESS_BENCH_HAVE_LIBXSMM libxsmm.hpp LIBXSMM JIT GEMM kernels, whole batch
// With none of them defined this header adds nothing.
#pragma once

#include <cstdio>
#include <type_traits>

#include "common.hpp"

#ifdef TAPELESS_BENCH_HAVE_ADOLC
#include "peers/adolc.hpp"
#endif
#ifdef TAPELESS_BENCH_HAVE_SACADO
#include "peers/sacado.hpp"
#endif
#ifdef TAPELESS_BENCH_HAVE_TORCH
#include "peers/torch.hpp"
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
#include "peers/onednn.hpp"
#endif
#ifdef TAPELESS_BENCH_HAVE_LIBXSMM
#include "peers/libxsmm.hpp"
#endif

namespace tlbench::peers {

// Appends {name, function} rows for network Net, type T to the benchmark's
// list of implementations (a std::vector of {const char*, T (*)(const T*,
// const dataset<T>&, T*)}).
template <char Net, class T, class Rows>
void add(Rows& v) {
#ifdef TAPELESS_BENCH_HAVE_ADOLC
  // ADOL-C computes in double; float rows convert (named adolc_f64).
  v.push_back({std::is_same_v<T, double> ? "adolc" : "adolc_f64", &adolc_peer::loss_grad<Net, T>});
#endif
#ifdef TAPELESS_BENCH_HAVE_SACADO
  v.push_back({"sacado_rad", &sacado_peer::loss_grad<Net, T>});
#endif
#ifdef TAPELESS_BENCH_HAVE_TORCH
  v.push_back({"torch", &torch_peer::loss_grad<Net, T>});
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
  // oneDNN 2.6 has no f64: float rows only.
  if constexpr (std::is_same_v<T, float>) v.push_back({"onednn", &onednn_peer::loss_grad<Net, T>});
#endif
#ifdef TAPELESS_BENCH_HAVE_LIBXSMM
  v.push_back({"libxsmm", &libxsmm_peer::loss_grad<Net, T>});
#endif
  (void)v;
}

// One line per peer built in (stderr), before the checks.
inline void describe() {
  int count = 0;
  std::fprintf(stderr, "peers:");
#ifdef TAPELESS_BENCH_HAVE_ADOLC
  std::fprintf(stderr, " adolc");
  ++count;
#endif
#ifdef TAPELESS_BENCH_HAVE_SACADO
  std::fprintf(stderr, " sacado_rad");
  ++count;
#endif
#ifdef TAPELESS_BENCH_HAVE_TORCH
  std::fprintf(stderr, " torch");
  ++count;
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
  std::fprintf(stderr, " onednn");
  ++count;
#endif
#ifdef TAPELESS_BENCH_HAVE_LIBXSMM
  std::fprintf(stderr, " libxsmm");
  ++count;
#endif
  std::fprintf(stderr, count ? "\n" : " none built in\n");
#ifdef TAPELESS_BENCH_HAVE_TORCH
  torch_peer::describe();
#endif
#ifdef TAPELESS_BENCH_HAVE_ONEDNN
  onednn_peer::describe();
#endif
#ifdef TAPELESS_BENCH_HAVE_LIBXSMM
  libxsmm_peer::describe();
#endif
}

}  // namespace tlbench::peers
