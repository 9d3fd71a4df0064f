#pragma once
// Stochastic gradient descent with momentum or Nesterov momentum: PyTorch's
// torch.optim.SGD with dampening 0. Per element, with p the parameter, g
// its gradient and v its velocity (zero before the first step):
//
//   g <- g + wd p                       weight decay (L2), when wd != 0
//   v <- mu v + g                       when mu != 0
//   d  = g + mu v  (Nesterov),  v  (momentum),  g  (mu = 0)
//   p <- p - lr d
//
// Since v starts at zero, the first step sets v = g, as PyTorch does.
//
//   sgd<params<decltype(loss)>> opt({.lr = 0.1, .momentum = 0.9, .nesterov = true});
//   auto [L, G] = value_and_grad(loss, P, bind<"x">(x), bind<"y">(y));
//   opt.step(P, G);
//
// Non-finite gradients: a G holding a NaN or an infinity is refused: step
// returns false and changes nothing (P and the velocity untouched), and
// skipped_steps() counts such steps. With `.skip_non_finite = false` the
// step is taken anyway (and spreads the NaN), as before.
//
// Options: lr finite and >= 0; momentum in [0, 1); nesterov needs
// momentum > 0; weight_decay finite and >= 0. Anything else throws
// std::invalid_argument at construction (or set_options) naming the value.

#include <cstddef>
#include <type_traits>

#include <tapeless/core/params.hpp>
#include <tapeless/optim/check.hpp>
#include <tapeless/optim/elementwise.hpp>

namespace tapeless {

struct sgd_options {
  double lr = 1e-3;
  double momentum = 0;
  bool nesterov = false;
  double weight_decay = 0;
  bool skip_non_finite = true;  // refuse a gradient with NaN or infinity (see above)
};

template <class Buffer>
class sgd {
  static_assert(leaf_storage<Buffer> && std::is_same_v<Buffer, std::remove_cvref_t<Buffer>>,
                "tapeless::sgd<Buffer> requires a parameter buffer type: params<Expr, E>");

 public:
  using buffer_type = Buffer;
  using element_type = typename detail::buffer_element_of<Buffer>::type;
  using options_type = sgd_options;

  explicit sgd(const sgd_options& options = {}) { set_options(options); }

  // P <- P - lr d, elementwise, as above; the velocity is updated in place.
  // Returns whether the step was taken (false: G was not finite, and
  // nothing changed).
  template <class Params, class Grads>
  bool step(Params& P, const Grads& G) {
    static_assert(std::is_same_v<Params, Buffer> && std::is_same_v<Grads, Buffer>,
                  "tapeless::sgd::step(P, G) requires P (non-const) and G of the optimizer's buffer type");
    if constexpr (std::is_same_v<Params, Buffer> && std::is_same_v<Grads, Buffer>) {
      if (options_.skip_non_finite && !detail::all_finite(G.data(), Buffer::size())) {
        ++skipped_;
        return false;
      }
      update(P, G);
    }
    return true;
  }

  // Steps refused for a non-finite gradient since construction (or reset).
  std::size_t skipped_steps() const noexcept { return skipped_; }

  const sgd_options& options() const noexcept { return options_; }
  // New hyperparameters (a learning-rate schedule); the velocity is kept.
  void set_options(const sgd_options& options) {
    detail::require_option_non_negative("sgd", "lr", options.lr);
    detail::require_option_unit_interval("sgd", "momentum", options.momentum);
    detail::require_option_non_negative("sgd", "weight_decay", options.weight_decay);
    detail::require_option(!options.nesterov || options.momentum > 0, "sgd", "momentum", options.momentum,
                           "must be > 0 with nesterov");
    options_ = options;
  }

  const Buffer& velocity() const noexcept { return velocity_; }
  void reset() noexcept {
    velocity_.fill(element_type(0));
    skipped_ = 0;
  }

 private:
  void update(Buffer& P, const Buffer& G) {
    using E = element_type;
    const E lr = E(options_.lr), mu = E(options_.momentum), wd = E(options_.weight_decay);
    const bool decay = options_.weight_decay != 0, nesterov = options_.nesterov;
    if (options_.momentum == 0) {
      detail::elementwise<E>(
          Buffer::size(),
          [=](auto& p, auto& g) {
            if (decay) g = detail::madd(wd, p, g);
            p = detail::madd(-lr, g, p);
          },
          P.data(), G.data());
    } else {
      detail::elementwise<E>(
          Buffer::size(),
          [=](auto& p, auto& g, auto& v) {
            if (decay) g = detail::madd(wd, p, g);
            v = detail::madd(mu, v, g);
            p = detail::madd(-lr, nesterov ? detail::madd(mu, v, g) : v, p);
          },
          P.data(), G.data(), velocity_.data());
    }
  }

  sgd_options options_;
  Buffer velocity_{};
  std::size_t skipped_ = 0;
};

}  // namespace tapeless
