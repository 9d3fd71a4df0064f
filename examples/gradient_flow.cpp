// Why initialization and residual connections matter (the seed's sections
// on vanishing/exploding gradients and residual connections).
//
// Four 30-layer networks of width 32 at initialization, one batch of 256
// random samples, half squared error: the L2 norm of each layer's weight
// gradient, from the input layer (0) to the output layer (29).
//   sigmoid, naive init   W ~ U(-1/2, 1/2)·..., σ' ≤ 1/4: gradients vanish
//   tanh, Glorot          variance kept forwards and backwards
//   ReLU, He              variance kept for ReLU
//   ReLU residual         h + relu(W h + b) with He init scaled by 1/√30 (so
//                         the sum of 30 branches keeps its variance): the
//                         identity path carries the gradient to every layer
//                         (the "gradient highway")
// Prints a table and writes gradient_flow.svg (log scale).
//
//   gradient_flow [output.svg]

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tapeless/eval/batch.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/tapeless.hpp>
#include <tapeless/train/diagnostics.hpp>

using namespace tapeless;

constexpr std::size_t width = 32, depth = 30, samples = 256;

// One layer, repeated `depth` times as one loop node; layer l's
// parameters are "L<l>.W" and "L<l>.b".
template <class Activation>
constexpr auto plain_block(Activation act) {
  return [act](auto h) { return act(nn::dense<"", width>(h)); };
}
constexpr auto residual_block = [](auto h) { return h + nn::relu(nn::dense<"", width>(h)); };

constexpr auto x = input<"x", vec<width>>;
constexpr auto target = input<"y", vec<width>>;
constexpr auto sigmoid_net = nn::half_squared_error(x | nn::repeat<depth, "L">(plain_block(nn::sigmoid)), target);
constexpr auto tanh_net = nn::half_squared_error(x | nn::repeat<depth, "L">(plain_block(nn::tanh)), target);
constexpr auto relu_net = nn::half_squared_error(x | nn::repeat<depth, "L">(plain_block(nn::relu)), target);
constexpr auto residual_net = nn::half_squared_error(x | nn::repeat<depth, "L">(residual_block), target);

// The "naive" initialization of early networks: U(-0.5, 0.5), whatever the
// fan-in.
struct naive_uniform {
  template <class E>
  void operator()(std::span<E> w, init::fan, init::rng& g) const {
    for (E& v : w) v = E(0.5) * init::uniform_symmetric<E>(g);
  }
};

// Another scheme, scaled: residual branches start small so that the sum
// of `depth` of them stays of order one.
template <class Scheme>
struct scaled {
  Scheme scheme;
  double factor;
  template <class E>
  void operator()(std::span<E> w, init::fan f, init::rng& g) const {
    scheme(w, f, g);
    for (E& v : w) v = E(double(v) * factor);
  }
};

template <class Loss, class Scheme>
std::vector<double> layer_gradient_norms(Loss loss, const Scheme& scheme, const std::vector<float>& xs,
                                         const std::vector<float>& ys) {
  using P = params<Loss, float>;
  auto p = std::make_unique<P>(), g = std::make_unique<P>();
  init::initialize(*p, scheme, 7);
  auto engine = std::make_unique<batch_engine<Loss, P>>();
  engine->value_and_grad_into(*p, *g, samples, mean_over_batch, check_finite, bind<"x">(aos(xs)),
                              bind<"y">(aos(ys)));
  (void)loss;
  std::vector<double> norms;
  for (const auto& n : train::gradient_norms(*g))
    if (n.name.ends_with(".W") || n.name.find('.') == std::string::npos) norms.push_back(n.norm);
  return norms;
}

int main(int argc, char** argv) {
  const std::string svg_path = argc > 1 ? argv[1] : "gradient_flow.svg";
  init::rng g(2026);
  std::vector<float> xs(samples * width), ys(samples * width);
  for (float& v : xs) v = init::uniform_symmetric<float>(g);
  for (float& v : ys) v = init::uniform_symmetric<float>(g);

  struct series {
    const char* label;
    const char* color;
    std::vector<double> norms;
  };
  std::vector<series> all = {
      {"sigmoid, naive U(-0.5, 0.5)", "#d62728", layer_gradient_norms(sigmoid_net, naive_uniform{}, xs, ys)},
      {"tanh, Glorot normal", "#1f77b4", layer_gradient_norms(tanh_net, init::glorot_normal, xs, ys)},
      {"ReLU, He normal", "#2ca02c", layer_gradient_norms(relu_net, init::he_normal, xs, ys)},
      {"ReLU residual, He / sqrt(30)", "#9467bd",
       layer_gradient_norms(residual_net, scaled<init::he_normal_t>{init::he_normal, 1 / std::sqrt(double(depth))}, xs, ys)},
  };

  std::printf("layer");
  for (const auto& s : all) std::printf("  %28s", s.label);
  std::printf("\n");
  for (std::size_t l = 0; l < depth; ++l) {
    std::printf("%5zu", l);
    for (const auto& s : all) std::printf("  %28.3e", s.norms[l]);
    std::printf("\n");
  }
  std::printf("ratio of layer 0 to layer %zu:", depth - 1);
  for (const auto& s : all) std::printf("  %s %.2e;", s.label, s.norms[0] / s.norms[depth - 1]);
  std::printf("\n");

  // SVG: x = layer, y = log10(norm).
  double lo = 1e300, hi = -1e300;
  for (const auto& s : all)
    for (double v : s.norms) {
      const double y = std::log10(std::max(v, 1e-30));
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  lo = std::floor(lo);
  hi = std::ceil(hi);
  const double W = 720, H = 420, left = 70, right = 250, top = 30, bottom = 50;
  auto px = [&](double l) { return left + (W - left - right) * l / double(depth - 1); };
  auto py = [&](double v) { return top + (H - top - bottom) * (hi - std::log10(std::max(v, 1e-30))) / (hi - lo); };
  std::ofstream svg(svg_path);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  for (double e = lo; e <= hi; e += 1) {
    const double y = top + (H - top - bottom) * (hi - e) / (hi - lo);
    svg << "<line x1='" << left << "' x2='" << W - right << "' y1='" << y << "' y2='" << y << "' stroke='#ddd'/>"
        << "<text x='" << left - 8 << "' y='" << y + 4 << "' text-anchor='end'>1e" << int(e) << "</text>\n";
  }
  for (std::size_t l = 0; l < depth; l += 5)
    svg << "<text x='" << px(double(l)) << "' y='" << H - bottom + 18 << "' text-anchor='middle'>" << l << "</text>\n";
  svg << "<text x='" << (left + W - right) / 2 << "' y='" << H - 10
      << "' text-anchor='middle'>layer (0 = input side)</text>\n"
      << "<text x='16' y='" << (top + H - bottom) / 2 << "' transform='rotate(-90 16 " << (top + H - bottom) / 2
      << ")' text-anchor='middle'>‖∂L/∂W‖ (log scale)</text>\n";
  for (std::size_t k = 0; k < all.size(); ++k) {
    svg << "<polyline fill='none' stroke-width='2' stroke='" << all[k].color << "' points='";
    for (std::size_t l = 0; l < depth; ++l) svg << px(double(l)) << ',' << py(all[k].norms[l]) << ' ';
    svg << "'/>\n<text x='" << W - right + 12 << "' y='" << top + 20 + 20 * double(k) << "' fill='" << all[k].color
        << "'>" << all[k].label << "</text>\n";
  }
  svg << "</svg>\n";
  std::printf("wrote %s\n", svg_path.c_str());
}
