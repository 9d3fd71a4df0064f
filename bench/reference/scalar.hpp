// Plain scalar reference: per sample forward, backward, gradient accumulation.
// Reads x_aos / y_aos.  This is the correctness reference (run in double on
// the promoted data for the checks in bench_main.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "common.hpp"

namespace tlbench::scalar {

// Generic MLP: dims[0] -> dims[1] -> ... -> dims[L]; ReLU after every layer
// except the last.
template <class T, std::size_t NDims>
T mlp(const std::array<std::size_t, NDims>& dims, const T* params, const dataset<T>& d, T* grad) {
  constexpr std::size_t NL = NDims - 1;
  std::size_t off[NL];  // offset of W_l in params; b_l follows at off + out*in
  std::size_t widest = 0, k = 0;
  for (std::size_t l = 0; l < NL; ++l) {
    off[l] = k;
    k += dims[l + 1] * dims[l] + dims[l + 1];
    widest = std::max(widest, dims[l + 1]);
  }
  std::fill(grad, grad + k, T(0));

  // a[l] = activation entering layer l (a[0] = x); a[NL] = yhat.
  std::vector<std::vector<T>> a(NL + 1);
  for (std::size_t l = 0; l <= NL; ++l) a[l].resize(dims[l]);
  std::vector<T> delta(widest), dprev(widest);

  T loss = 0;
  for (std::size_t s = 0; s < d.n; ++s) {
    for (std::size_t i = 0; i < dims[0]; ++i) a[0][i] = d.x_aos[s * d.in + i];
    // forward
    for (std::size_t l = 0; l < NL; ++l) {
      const T* W = params + off[l];
      const T* b = W + dims[l + 1] * dims[l];
      for (std::size_t o = 0; o < dims[l + 1]; ++o) {
        T z = b[o];
        for (std::size_t i = 0; i < dims[l]; ++i) z += W[o * dims[l] + i] * a[l][i];
        a[l + 1][o] = (l + 1 < NL) ? (z > T(0) ? z : T(0)) : z;
      }
    }
    // loss and output adjoint
    for (std::size_t o = 0; o < dims[NL]; ++o) {
      T r = a[NL][o] - d.y_aos[s * d.out + o];
      loss += T(0.5) * r * r;
      delta[o] = r;
    }
    // backward
    for (std::size_t l = NL; l-- > 0;) {
      const T* W = params + off[l];
      T* gW = grad + off[l];
      T* gb = gW + dims[l + 1] * dims[l];
      for (std::size_t o = 0; o < dims[l + 1]; ++o) {
        gb[o] += delta[o];
        for (std::size_t i = 0; i < dims[l]; ++i) gW[o * dims[l] + i] += delta[o] * a[l][i];
      }
      if (l == 0) break;
      for (std::size_t i = 0; i < dims[l]; ++i) {
        T acc = 0;
        for (std::size_t o = 0; o < dims[l + 1]; ++o) acc += W[o * dims[l] + i] * delta[o];
        dprev[i] = a[l][i] > T(0) ? acc : T(0);  // a[l] = relu(z): a > 0 iff z > 0
      }
      std::copy(dprev.begin(), dprev.begin() + dims[l], delta.begin());
    }
  }
  return loss;
}

// Residual: h_{k+1} = h_k + relu(W_k h_k + b_k), loss 0.5 ||h_B - y||^2.
template <class T>
T residual(std::size_t width, std::size_t blocks, const T* params, const dataset<T>& d, T* grad) {
  const std::size_t w = width, per = w * w + w;
  std::fill(grad, grad + blocks * per, T(0));
  std::vector<T> h((blocks + 1) * w), r(blocks * w), g(w), delta(w);
  T loss = 0;
  for (std::size_t s = 0; s < d.n; ++s) {
    for (std::size_t i = 0; i < w; ++i) h[i] = d.x_aos[s * d.in + i];
    for (std::size_t k = 0; k < blocks; ++k) {
      const T* W = params + k * per;
      const T* b = W + w * w;
      for (std::size_t o = 0; o < w; ++o) {
        T z = b[o];
        for (std::size_t i = 0; i < w; ++i) z += W[o * w + i] * h[k * w + i];
        r[k * w + o] = z > T(0) ? z : T(0);
        h[(k + 1) * w + o] = h[k * w + o] + r[k * w + o];
      }
    }
    for (std::size_t o = 0; o < w; ++o) {
      T e = h[blocks * w + o] - d.y_aos[s * d.out + o];
      loss += T(0.5) * e * e;
      g[o] = e;
    }
    for (std::size_t k = blocks; k-- > 0;) {
      const T* W = params + k * per;
      T* gW = grad + k * per;
      T* gb = gW + w * w;
      for (std::size_t o = 0; o < w; ++o) {
        delta[o] = r[k * w + o] > T(0) ? g[o] : T(0);
        gb[o] += delta[o];
        for (std::size_t i = 0; i < w; ++i) gW[o * w + i] += delta[o] * h[k * w + i];
      }
      for (std::size_t i = 0; i < w; ++i) {
        T acc = 0;
        for (std::size_t o = 0; o < w; ++o) acc += W[o * w + i] * delta[o];
        g[i] += acc;
      }
    }
  }
  return loss;
}

}  // namespace tlbench::scalar

namespace tlbench {

template <char Net, class T>
T scalar_loss_grad(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) return scalar::mlp<T>(S::dims, params, d, grad);
  else return scalar::residual<T>(S::width, S::blocks, params, d, grad);
}

}  // namespace tlbench
