// Eigen GEMM reference: the whole batch at once, forward and backward as
// matrix products (samples are columns; x_aos viewed as a column-major
// in x n matrix).  Scratch matrices are thread_local and reused.
//   forward   A_{l+1} = act(W_l A_l + b_l 1^T)
//   backward  gW_l = D_{l+1} A_l^T,  gb_l = D_{l+1} 1,
//             D_l = relu'(A_l) .* (W_l^T D_{l+1})
#pragma once

#include <vector>

#include <Eigen/Dense>

#include "common.hpp"

namespace tlbench::eigen {

template <class T>
using mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using rmat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using vecx = Eigen::Matrix<T, Eigen::Dynamic, 1>;

template <class T, std::size_t NDims>
T mlp(const std::array<std::size_t, NDims>& dims, const T* params, const dataset<T>& d, T* grad) {
  constexpr std::size_t NL = NDims - 1;
  const Eigen::Index n = Eigen::Index(d.n);
  thread_local std::vector<mat<T>> A(NL + 1), D(NL + 1);
  Eigen::Map<const mat<T>> X(d.x_aos.data(), Eigen::Index(d.in), n);
  Eigen::Map<const mat<T>> Y(d.y_aos.data(), Eigen::Index(d.out), n);
  std::size_t off[NL], k = 0;
  for (std::size_t l = 0; l < NL; ++l) {
    off[l] = k;
    k += dims[l + 1] * dims[l] + dims[l + 1];
  }
  auto Wm = [&](std::size_t l) {
    return Eigen::Map<const rmat<T>>(params + off[l], Eigen::Index(dims[l + 1]), Eigen::Index(dims[l]));
  };
  auto bm = [&](std::size_t l) {
    return Eigen::Map<const vecx<T>>(params + off[l] + dims[l + 1] * dims[l], Eigen::Index(dims[l + 1]));
  };
  for (std::size_t l = 0; l < NL; ++l) {
    mat<T>& Z = A[l + 1];
    Z.resize(Eigen::Index(dims[l + 1]), n);
    if (l == 0) Z.noalias() = Wm(l) * X;
    else Z.noalias() = Wm(l) * A[l];
    Z.colwise() += bm(l);
    if (l + 1 < NL) Z = Z.cwiseMax(T(0));
  }
  D[NL] = A[NL] - Y;
  const T loss = T(0.5) * D[NL].squaredNorm();
  for (std::size_t l = NL; l-- > 0;) {
    Eigen::Map<rmat<T>> gW(grad + off[l], Eigen::Index(dims[l + 1]), Eigen::Index(dims[l]));
    Eigen::Map<vecx<T>> gb(grad + off[l] + dims[l + 1] * dims[l], Eigen::Index(dims[l + 1]));
    if (l == 0) gW.noalias() = D[1] * X.transpose();
    else gW.noalias() = D[l + 1] * A[l].transpose();
    gb = D[l + 1].rowwise().sum();
    if (l > 0) {
      D[l].resize(Eigen::Index(dims[l]), n);
      D[l].noalias() = Wm(l).transpose() * D[l + 1];
      D[l] = (A[l].array() > T(0)).select(D[l], T(0));
    }
  }
  return loss;
}

template <class T>
T residual(std::size_t width, std::size_t blocks, const T* params, const dataset<T>& d, T* grad) {
  const Eigen::Index n = Eigen::Index(d.n), w = Eigen::Index(width);
  const std::size_t per = width * width + width;
  thread_local std::vector<mat<T>> H, R;
  thread_local mat<T> G, Dl;
  H.resize(blocks + 1);
  R.resize(blocks);
  H[0] = Eigen::Map<const mat<T>>(d.x_aos.data(), w, n);
  Eigen::Map<const mat<T>> Y(d.y_aos.data(), w, n);
  for (std::size_t k = 0; k < blocks; ++k) {
    Eigen::Map<const rmat<T>> W(params + k * per, w, w);
    Eigen::Map<const vecx<T>> b(params + k * per + width * width, w);
    R[k].resize(w, n);
    R[k].noalias() = W * H[k];
    R[k].colwise() += b;
    R[k] = R[k].cwiseMax(T(0));
    H[k + 1] = H[k] + R[k];
  }
  G = H[blocks] - Y;
  const T loss = T(0.5) * G.squaredNorm();
  for (std::size_t k = blocks; k-- > 0;) {
    Eigen::Map<const rmat<T>> W(params + k * per, w, w);
    Eigen::Map<rmat<T>> gW(grad + k * per, w, w);
    Eigen::Map<vecx<T>> gb(grad + k * per + width * width, w);
    Dl = (R[k].array() > T(0)).select(G, T(0));
    gW.noalias() = Dl * H[k].transpose();
    gb = Dl.rowwise().sum();
    if (k > 0) G.noalias() += W.transpose() * Dl;
  }
  return loss;
}

template <char Net, class T>
T loss_grad(const T* params, const dataset<T>& d, T* grad) {
  using S = net_spec<Net>;
  if constexpr (S::kind == net_kind::mlp) return mlp<T>(S::dims, params, d, grad);
  else return residual<T>(S::width, S::blocks, params, d, grad);
}

}  // namespace tlbench::eigen
