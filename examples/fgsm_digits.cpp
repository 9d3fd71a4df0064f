// Adversarial examples for the digits MLP with the fast gradient sign
// method (FGSM, Goodfellow et al. 2015): train the network of
// train_digits, take the gradient of the loss with respect to each test
// image, move every pixel by eps in the direction that increases the loss,
//
//   x' = x + eps * sign(dL/dx),
//
// and measure the test accuracy on the moved images.
//
//   fgsm_digits [--epochs N] [--data path/to/digits.csv]
//
// x' is not clamped to the [0, 1] range of the scaled pixels: the attack is
// on the model's input space, and clamping would make the perturbation
// smaller than eps on pixels already at 0 or 1 (most of a digit's
// background), so its max-norm would no longer be eps.
//
// Exits non-zero unless, for every eps > 0, the accuracy under attack is
// below the clean accuracy and no higher than for the previous eps, and
// max |x' - x| is eps.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <limits>
#include <span>
#include <vector>

#include "digits_mlp.hpp"

using namespace tapeless;

namespace {

constexpr std::size_t features = 64;

// Powers of two in the scaled units (1/16 is one gray level). The pixels
// are k/16, so x ± eps is exact in float and the measured max-norm is eps
// with no rounding at all. With an eps such as 0.01 it would not be: x + eps
// is then off by up to half an ulp of x' (6e-8 near 1), more than the
// 4·eps·ε the check allows.
constexpr std::array<float, 5> epsilons = {0, 1.0f / 32, 1.0f / 16, 1.0f / 8, 1.0f / 4};

// sign(dL/dx) for every test sample, sample-major like labeled_data::x.
// The direction does not depend on eps, so it is computed once.
std::vector<float> loss_gradient_signs(const digits_mlp::parameters& P, const data::labeled_data& test) {
  std::vector<float> signs(test.size() * features);
  for (std::size_t i = 0; i < test.size(); ++i) {
    const auto r = value_and_grad(digits_mlp::loss, P, wrt_inputs, check_finite,
                                  bind<"x">(std::span<const float, features>(test.sample(i), features)),
                                  bind<"y">(test.labels[i]));
    const auto dx = r.input_grad.get<"x">();
    // sign(0) = 0: a pixel the loss does not depend on stays where it is.
    for (std::size_t k = 0; k < features; ++k) signs[i * features + k] = float(dx[k] > 0) - float(dx[k] < 0);
  }
  return signs;
}

struct attack_result {
  double accuracy = 0;
  double max_perturbation = 0;  // max |x' - x| over every pixel of every sample
};

attack_result attack(const digits_mlp::parameters& P, const data::labeled_data& test, const std::vector<float>& signs,
                     float eps) {
  attack_result out;
  std::size_t right = 0;
  std::array<float, features> moved;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const float* x = test.sample(i);
    for (std::size_t k = 0; k < features; ++k) {
      moved[k] = x[k] + eps * signs[i * features + k];
      // In double, the difference of two floats is exact: this measures
      // what was stored, not a rounded copy of it.
      out.max_perturbation = std::max(out.max_perturbation, std::abs(double(moved[k]) - double(x[k])));
    }
    right += train::predict(digits_mlp::logits, P, moved.data()) == std::size_t(test.labels[i]);
  }
  out.accuracy = test.size() ? double(right) / double(test.size()) : 0;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = digits_mlp::parse_command_line(argc, argv);
  try {
    const auto parts = digits_mlp::load_split(args.data);
    digits_mlp::parameters P;
    digits_mlp::train(P, parts, args.epochs, nullptr);
    const auto signs = loss_gradient_signs(P, parts.test);

    const attack_result clean = attack(P, parts.test, signs, epsilons[0]);
    std::printf("FGSM on the %zu test samples (pixels scaled to [0, 1], x' not clamped)\n", parts.test.size());
    std::printf("%8s  %11s  %14s  %17s  %12s\n", "eps", "gray levels", "clean accuracy", "attacked accuracy",
                "max |x'-x|");
    bool ok = true;
    double previous_accuracy = clean.accuracy;
    for (const float eps : epsilons) {
      const attack_result r = attack(P, parts.test, signs, eps);
      std::printf("%8.5f  %11.2f  %13.2f%%  %16.2f%%  %12.9f\n", double(eps), double(eps / digits_mlp::pixel_scale),
                  100 * clean.accuracy, 100 * r.accuracy, r.max_perturbation);
      // Within float rounding of eps (here exact, see `epsilons`).
      const double tolerance = 4 * double(eps) * std::numeric_limits<float>::epsilon();
      if (std::abs(r.max_perturbation - double(eps)) > tolerance) {
        std::printf("  FAILED: max |x'-x| is %.9g, not eps = %.9g\n", r.max_perturbation, double(eps));
        ok = false;
      }
      if (eps > 0 && !(r.accuracy < clean.accuracy)) {
        std::printf("  FAILED: the attack does not lower the accuracy\n");
        ok = false;
      }
      if (r.accuracy > previous_accuracy) {
        std::printf("  FAILED: the accuracy rises with eps\n");
        ok = false;
      }
      previous_accuracy = r.accuracy;
    }
    if (!ok) {
      std::printf("FGSM checks failed\n");
      return 1;
    }
    std::printf("FGSM checks passed: accuracy below clean and non-increasing in eps, max |x'-x| = eps\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
