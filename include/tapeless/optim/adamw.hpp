#pragma once
// AdamW (Loshchilov & Hutter), as PyTorch's torch.optim.AdamW without
// amsgrad: Adam (adam.hpp) with the weight decay taken out of the gradient
// and applied to the parameter directly, before the Adam update:
//
//   p <- p - lr wd p                    decoupled weight decay
//   m, v, m_hat, v_hat as in Adam, from the raw gradient g
//   p <- p - lr m_hat / (sqrt(v_hat) + eps)
//
// With weight_decay = 0 it is Adam. The default weight_decay is PyTorch's,
// 1e-2.
//
//   adamw<params<decltype(loss)>> opt({.lr = 1e-3, .weight_decay = 1e-2});
//   opt.step(P, G);

#include <cstddef>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/optim/adam.hpp>

namespace tapeless {

struct adamw_options {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool skip_non_finite = true;  // refuse a gradient with NaN or infinity (adam.hpp)
};

template <class Buffer>
using adamw = detail::adam_optimizer<Buffer, adamw_options, true>;

}  // namespace tapeless
