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
};

template <class Buffer>
class adamw {
  static_assert(leaf_storage<Buffer> && std::is_same_v<Buffer, std::remove_cvref_t<Buffer>>,
                "tapeless::adamw<Buffer> requires a parameter buffer type: params<Expr, E>");

 public:
  using buffer_type = Buffer;
  using element_type = typename detail::buffer_element_of<Buffer>::type;
  using options_type = adamw_options;

  explicit adamw(const adamw_options& options = {}) { set_options(options); }

  template <class Params, class Grads>
  void step(Params& P, const Grads& G) {
    static_assert(std::is_same_v<Params, Buffer> && std::is_same_v<Grads, Buffer>,
                  "tapeless::adamw::step(P, G) requires P (non-const) and G of the optimizer's buffer type");
    if constexpr (std::is_same_v<Params, Buffer> && std::is_same_v<Grads, Buffer>)
      detail::adam_update(P, G, m_, v_, ++t_, options_, true);
  }

  const adamw_options& options() const noexcept { return options_; }
  // New hyperparameters (a learning-rate schedule); moments and t are kept.
  void set_options(const adamw_options& options) {
    detail::check_adam_options("adamw", options);
    options_ = options;
  }

  std::size_t steps() const noexcept { return t_; }
  const Buffer& first_moment() const noexcept { return m_; }
  const Buffer& second_moment() const noexcept { return v_; }
  void reset() noexcept {
    m_.fill(element_type(0));
    v_.fill(element_type(0));
    t_ = 0;
  }

 private:
  adamw_options options_;
  Buffer m_{};
  Buffer v_{};
  std::size_t t_ = 0;
};

}  // namespace tapeless
