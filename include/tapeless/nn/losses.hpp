#pragma once
// Losses of one sample: prediction first, target second. Batch calls sum
// them (or average with mean_over_batch).
//
//   half_squared_error(ŷ, y)  = ½ Σ (ŷ - y)²      (the seed's loss)
//   mean_squared_error(ŷ, y)  = (1/n) Σ (ŷ - y)²
//   softmax_cross_entropy(z, y) = logsumexp(z) - Σ y_k z_k
//       z: logits, y: target probabilities; equals -Σ y_k log softmax(z)_k
//       when Σ y = 1. logsumexp is max-shifted, so logits of ±1000 stay
//       finite.
//   softmax_cross_entropy(z, y) = logsumexp(z) - z_y = -log softmax(z)_y
//       with y a class label (input<"y", class_index<C>>, C = z's
//       size): the same loss as for the one-hot vector of y, without
//       building it; a label that
//       is not an integer in [0, C) throws label_error when bound.
//   binary_cross_entropy_with_logits(z, y) = Σ softplus(z) - y z
//       = -Σ [y log σ(z) + (1 - y) log(1 - σ(z))], finite for any z.

#include <tapeless/core/expr.hpp>
#include <tapeless/ops/ops.hpp>

namespace tapeless::nn {

template <expression P, expression Y>
constexpr auto half_squared_error(P prediction, Y target) {
  return 0.5_c * sum(square(prediction - target));
}

template <expression P, expression Y>
constexpr auto mean_squared_error(P prediction, Y target) {
  return mean(square(prediction - target));
}

template <expression Z, expression Y>
constexpr auto softmax_cross_entropy(Z logits, Y target) {
  if constexpr (detail::is_class_index<typename Y::shape>::value)
    return logsumexp(logits) - pick(logits, target);
  else
    return logsumexp(logits) - dot(target, logits);
}

template <expression Z, expression Y>
constexpr auto binary_cross_entropy_with_logits(Z logits, Y target) {
  return sum(tapeless::softplus(logits) - target * logits);
}

}  // namespace tapeless::nn
