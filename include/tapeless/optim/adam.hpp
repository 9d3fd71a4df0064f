#pragma once
// Adam (Kingma & Ba), as PyTorch's torch.optim.Adam without amsgrad. Per
// element, with p the parameter, g its gradient, m and v the first and
// second moments (zero before the first step) and t the step number,
// counted from 1:
//
//   g <- g + wd p                       weight decay (L2), when wd != 0
//   m <- b1 m + (1 - b1) g
//   v <- b2 v + (1 - b2) g^2
//   m_hat = m / (1 - b1^t)              bias correction
//   v_hat = v / (1 - b2^t)
//   p <- p - lr m_hat / (sqrt(v_hat) + eps)
//
// At t = 1, m_hat = g and v_hat = g^2, so the first step moves each
// parameter by lr g / (|g| + eps), about lr sign(g). AdamW (adamw.hpp)
// decays p directly instead of adding wd p to g.
//
//   adam<params<decltype(loss)>> opt({.lr = 1e-3});
//   opt.step(P, G);
//
// Non-finite gradients: a G holding a NaN or an infinity is refused: step
// returns false and changes nothing (P, m, v and the step count untouched),
// and skipped_steps() counts such steps. With `.skip_non_finite = false`
// the step is taken anyway (one NaN then stays in m and v for good).
//
// Options: lr and weight_decay finite and >= 0; beta1, beta2 in [0, 1);
// eps finite and > 0. Anything else throws std::invalid_argument naming
// the value.

#include <cmath>
#include <cstddef>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/optim/check.hpp>
#include <tapeless/optim/elementwise.hpp>

namespace tapeless {

struct adam_options {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool skip_non_finite = true;  // refuse a gradient with NaN or infinity (see above)
};

namespace detail {

template <class Options>
void check_adam_options(const char* name, const Options& o) {
  require_option_non_negative(name, "lr", o.lr);
  require_option_unit_interval(name, "beta1", o.beta1);
  require_option_unit_interval(name, "beta2", o.beta2);
  require_option_positive(name, "eps", o.eps);
  require_option_non_negative(name, "weight_decay", o.weight_decay);
}

// Step t of Adam (decoupled = false: weight decay added to g) or AdamW
// (decoupled = true: p <- p - lr wd p before the Adam update).
template <class Buffer, class Options>
void adam_update(Buffer& P, const Buffer& G, Buffer& m, Buffer& v, std::size_t t, const Options& o,
                 bool decoupled) {
  using E = typename Buffer::element_type;
  const E lr = E(o.lr), wd = E(o.weight_decay), decay_rate = E(o.lr * o.weight_decay);
  const E b1 = E(o.beta1), b2 = E(o.beta2), eps = E(o.eps);
  const E one_minus_b1 = E(1 - o.beta1), one_minus_b2 = E(1 - o.beta2);
  const E bc1 = E(1 - std::pow(o.beta1, double(t))), bc2 = E(1 - std::pow(o.beta2, double(t)));
  const bool l2 = !decoupled && o.weight_decay != 0, decay = decoupled && o.weight_decay != 0;
  elementwise<E>(
      Buffer::size(),
      [=](auto& p, auto& g, auto& m1, auto& m2) {
        using V = std::remove_cvref_t<decltype(p)>;
        if (l2) g = madd(wd, p, g);
        if (decay) p = madd(-decay_rate, p, p);
        m1 = madd(b1, m1, V(one_minus_b1) * g);
        m2 = madd(b2, m2, (V(one_minus_b2) * g) * g);
        const V m_hat = divide(m1, V(bc1));
        const V v_hat = divide(m2, V(bc2));
        p = madd(-lr, divide(m_hat, square_root(v_hat) + V(eps)), p);
      },
      P.data(), G.data(), m.data(), v.data());
}

}  // namespace detail

namespace detail {

// Adam and AdamW share everything but the options' defaults and where the
// weight decay goes (Decoupled: applied to p, as AdamW; else added to g).
template <class Buffer, class Options, bool Decoupled>
class adam_optimizer {
  static constexpr bool is_buffer = leaf_storage<Buffer> && std::is_same_v<Buffer, std::remove_cvref_t<Buffer>>;
  static_assert(is_buffer || Decoupled, "tapeless::adam<Buffer> requires a parameter buffer type: params<Expr, E>");
  static_assert(is_buffer || !Decoupled, "tapeless::adamw<Buffer> requires a parameter buffer type: params<Expr, E>");
  static constexpr const char* name = Decoupled ? "adamw" : "adam";

 public:
  using buffer_type = Buffer;
  using element_type = typename buffer_element_of<Buffer>::type;
  using options_type = Options;

  explicit adam_optimizer(const Options& options = {}) { set_options(options); }

  // Returns whether the step was taken (false: G was not finite, and
  // nothing changed).
  template <class Params, class Grads>
  bool step(Params& P, const Grads& G) {
    constexpr bool fits = std::is_same_v<Params, Buffer> && std::is_same_v<Grads, Buffer>;
    static_assert(fits || Decoupled,
                  "tapeless::adam::step(P, G) requires P (non-const) and G of the optimizer's buffer type");
    static_assert(fits || !Decoupled,
                  "tapeless::adamw::step(P, G) requires P (non-const) and G of the optimizer's buffer type");
    if constexpr (fits) {
      if (options_.skip_non_finite && !all_finite(G.data(), Buffer::size())) {
        ++skipped_;
        return false;
      }
      adam_update(P, G, m_, v_, ++t_, options_, Decoupled);
    }
    return true;
  }

  // Steps refused for a non-finite gradient since construction (or reset).
  std::size_t skipped_steps() const noexcept { return skipped_; }

  const Options& options() const noexcept { return options_; }
  // New hyperparameters (a learning-rate schedule); moments and t are kept.
  void set_options(const Options& options) {
    check_adam_options(name, options);
    options_ = options;
  }

  std::size_t steps() const noexcept { return t_; }
  const Buffer& first_moment() const noexcept { return m_; }
  const Buffer& second_moment() const noexcept { return v_; }
  void reset() noexcept {
    m_.fill(element_type(0));
    v_.fill(element_type(0));
    t_ = 0;
    skipped_ = 0;
  }

 private:
  Options options_;
  Buffer m_{};
  Buffer v_{};
  std::size_t t_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace detail

template <class Buffer>
using adam = detail::adam_optimizer<Buffer, adam_options, false>;

}  // namespace tapeless
