// Computes the seed network's gradient through the installed headers and
// checks two of its entries, then the gradient of a dot product computed in
// the second translation unit (dot_product.cpp); exits non-zero on a
// mismatch. Built by three projects: meson.build (tapeless as a subproject),
// CMakeLists.txt (find_package) and run.py (pkg-config).

#include <array>
#include <cstdio>

#include <tapeless/tapeless.hpp>

bool dot_product_gradient_ok();  // dot_product.cpp

int main() {
  using namespace tapeless;
  constexpr auto x = input<"x", vec<2>>;
  constexpr auto W1 = param<"W1", mat<2, 2>>;
  constexpr auto b1 = param<"b1", vec<2>>;
  constexpr auto w2 = param<"w2", vec<2>>;
  constexpr auto b2 = param<"b2">;
  constexpr auto loss = 0.5_c * square(dot(w2, relu(W1 * x + b1)) + b2 - input<"y">);

  params<decltype(loss), float> P;
  P.get<"W1">() = {{1, -1}, {0.5f, 2}};
  P.get<"b1">() = {0, -1};
  P.get<"w2">() = {1, -2};
  P.get<"b2">() = 0.5f;
  const std::array<float, 2> xv{2, -1};
  const auto [L, dP] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(1.0f));
  const bool ok = L == 3.125f && dP.get<"W1">()(0, 1) == -2.5f && dP.get<"b2">() == 2.5f;
  std::printf("consumer: loss %g, dL/dW1[0, 1] %g: %s\n", double(L), double(dP.get<"W1">()(0, 1)), ok ? "ok" : "WRONG");
  const bool dot_ok = dot_product_gradient_ok();
  return ok && dot_ok ? 0 : 1;
}
