// repeat<N, "name">: a stack of blocks as one loop node, checked against the
// same stack unrolled (values, gradients, forward mode, HVPs, the batch
// engine, inference, parameter names, save/load, initializers) and
// against finite differences.
#include <array>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/eval/predict.hpp>
#include <tapeless/eval/sample_engine.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/io/io.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

using namespace tapeless;
using namespace fixtures;

namespace {

constexpr std::size_t width = 4, depth = 5;
constexpr auto x = input<"x", vec<width>>;
constexpr auto target = input<"t", vec<width>>;

// Block i: h + W_i relu(h) + b_i, as the unrolled stack names it ...
constexpr auto unrolled_block = [](auto h, auto i) {
  return h + nn::dense<indexed_name<"block", decltype(i)::value>, width>(nn::relu(h));
};
// ... and as the loop's body ("" + ".W" is block i's "block<i>.W").
constexpr auto loop_block = [](auto h) { return h + nn::dense<"", width>(nn::relu(h)); };

constexpr auto unrolled = nn::half_squared_error(x | nn::repeat<depth>(unrolled_block), target);
constexpr auto looped = nn::half_squared_error(x | nn::repeat<depth, "block">(loop_block), target);
constexpr auto looped_2 = nn::half_squared_error(x | nn::repeat<depth, "block">(loop_block, checkpoint_every<2>), target);
constexpr auto looped_1 = nn::half_squared_error(x | nn::repeat<depth, "block">(loop_block, checkpoint_every<1>), target);

template <class E>
using unrolled_params = params<decltype(unrolled), E>;
template <class E>
using loop_params = params<decltype(looped), E>;

// The same numbers in both buffers (their layouts agree, checked below).
template <class E>
void fill_both(unrolled_params<E>& U, loop_params<E>& L, unsigned seed) {
  randomize(U, seed);
  static_assert(unrolled_params<E>::size() == loop_params<E>::size());
  std::memcpy(L.data(), U.data(), sizeof(E) * U.size());
}

template <class A, class B>
bool same_bits(const A& a, const B& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(*a.data())) == 0;
}

}  // namespace

TEST_CASE("a loop node's parameters are the unrolled stack's, with the same names and offsets") {
  using U = unrolled_params<double>;
  using L = loop_params<double>;
  static_assert(graph<decltype(looped)>::params::size == 1);  // one stacked leaf
  static_assert(U::leaf_count() == 2 * depth && L::leaf_count() == 2 * depth);
  for (std::size_t k = 0; k < U::leaf_count(); ++k) {
    CAPTURE(k);
    CHECK(U::layout_info()[k].name == L::layout_info()[k].name);
    CHECK(U::layout_info()[k].offset == L::layout_info()[k].offset);
    CHECK(U::layout_info()[k].dims == L::layout_info()[k].dims);
  }
  CHECK(L::layout_info()[7].name == "block3.b");

  L P;
  for (std::size_t k = 0; k < P.size(); ++k) P.data()[k] = double(k);
  // Per-block views, by name, and the whole stack.
  CHECK(P.get<"block3.W">()(1, 2) == double(3 * (width * width + width) + width + 2));
  CHECK(P.get<"block0.b">()[3] == double(width * width + 3));
  P.get<"block4.b">()[0] = -1;
  CHECK(P.get<"block">()(4, width * width) == -1);
  CHECK(L{P}.get<"block2.W">()(0, 0) == double(2 * (width * width + width)));

  std::vector<std::string> names;
  P.for_each([&](std::string_view name, auto view) {
    names.emplace_back(name);
    CHECK(view.data() == P.data() + L::layout_info()[names.size() - 1].offset);
  });
  REQUIRE(names.size() == 2 * depth);
  CHECK(names[9] == "block4.b");
}

TEST_CASE("loop node and unrolled stack: equal values and gradients, bit for bit, stored or recomputed") {
  unrolled_params<double> PU;
  loop_params<double> PL;
  fill_both(PU, PL, 7);
  const auto xv = random_array<width>(8), tv = random_array<width>(9);
  const auto u = value_and_grad(unrolled, PU, bind<"x">(xv), bind<"t">(tv));
  const auto l = value_and_grad(looped, PL, bind<"x">(xv), bind<"t">(tv));
  const auto l2 = value_and_grad(looped_2, PL, bind<"x">(xv), bind<"t">(tv));
  const auto l1 = value_and_grad(looped_1, PL, bind<"x">(xv), bind<"t">(tv));
  CHECK(u.value == l.value);
  CHECK(same_bits(u.grad, l.grad));
  CHECK(l2.value == l.value);
  CHECK(same_bits(l2.grad, l.grad));
  CHECK(l1.value == l.value);
  CHECK(same_bits(l1.grad, l.grad));

  // Input gradients too.
  const auto ui = value_and_grad(unrolled, PU, wrt_inputs, bind<"x">(xv), bind<"t">(tv));
  const auto li = value_and_grad(looped_2, PL, wrt_inputs, bind<"x">(xv), bind<"t">(tv));
  CHECK(same_bits(ui.input_grad, li.input_grad));

  // Finite differences.
  const auto report = gradcheck(looped_2, PL, bind<"x">(xv), bind<"t">(tv));
  INFO(report);
  CHECK(report.ok(1e-7));
}

TEST_CASE("loop node: forward mode and Hessian-vector products equal the unrolled stack's") {
  unrolled_params<double> PU, VU;
  loop_params<double> PL, VL;
  fill_both(PU, PL, 11);
  fill_both(VU, VL, 12);
  const auto xv = random_array<width>(13), tv = random_array<width>(14), dx = random_array<width>(15);

  const auto ju = jvp(unrolled, PU, VU, bind<"x">(xv), bind<"t">(tv), tangent<"x">(dx));
  const auto jl = jvp(looped_2, PL, VL, bind<"x">(xv), bind<"t">(tv), tangent<"x">(dx));
  CHECK(jl.value == ju.value);
  CHECK(jl.tangent == doctest::Approx(ju.tangent).epsilon(1e-14));

  for (auto check : {0, 1}) {
    CAPTURE(check);
    const auto hu = hvp(unrolled, PU, VU, bind<"x">(xv), bind<"t">(tv));
    const auto hl = check == 0 ? hvp(looped, PL, VL, bind<"x">(xv), bind<"t">(tv))
                               : hvp(looped_2, PL, VL, bind<"x">(xv), bind<"t">(tv));
    CHECK(hl.value == hu.value);
    for (std::size_t k = 0; k < PU.size(); ++k) {
      CAPTURE(k);
      CHECK(mixed_error(hl.grad.data()[k], hu.grad.data()[k]) <= 1e-14);
      CHECK(mixed_error(hl.hvp.data()[k], hu.hvp.data()[k]) <= 1e-13);
    }
  }
}

TEST_CASE("loop node: whole Jacobians (directions on SIMD lanes) equal the unrolled stack's, both modes") {
  // The stack's output, not the loss: a 4 × 4 Jacobian in x and a 4 × 40
  // one in the parameters, by forward passes (tangents in lanes over plain
  // values) and by reverse passes (rows in lanes).
  constexpr auto out_unrolled = x | nn::repeat<depth>(unrolled_block);
  constexpr auto out_looped = x | nn::repeat<depth, "block">(loop_block, checkpoint_every<2>);
  unrolled_params<double> PU;
  loop_params<double> PL;
  fill_both(PU, PL, 31);
  const auto xv = random_array<width>(32);
  const auto check = [&]<sweep_mode Mode>() {
    const auto ju = jacobian<Mode>(out_unrolled, PU, wrt<"x">, bind<"x">(xv));
    const auto jl = jacobian<Mode>(out_looped, PL, wrt<"x">, bind<"x">(xv));
    for (std::size_t k = 0; k < width * width; ++k) CHECK(mixed_error(jl.matrix[k], ju.matrix[k]) <= 1e-14);
  };
  check.template operator()<sweep_mode::forward>();
  check.template operator()<sweep_mode::reverse>();

  // Parameters of the stack (every block's W and b) as the wrt variables:
  // the loop's one stacked leaf is named "block".
  const auto jpl = jacobian<sweep_mode::forward>(out_looped, PL, wrt<"block">, bind<"x">(xv));
  const auto jpr = jacobian<sweep_mode::reverse>(out_looped, PL, wrt<"block">, bind<"x">(xv));
  for (std::size_t k = 0; k < jpl.matrix.size(); ++k) CHECK(mixed_error(jpl.matrix[k], jpr.matrix[k]) <= 1e-14);
  // Column j of the parameter Jacobian is ∂y/∂θ_j: against a central
  // difference on a few entries.
  for (std::size_t j : {std::size_t{0}, std::size_t{19}, std::size_t{45}, std::size_t{99}}) {
    CAPTURE(j);
    loop_params<double> up = PL, down = PL;
    const double h = 1e-6;
    up.data()[j] += h;
    down.data()[j] -= h;
    const auto yu = value(out_looped, up, bind<"x">(xv)), yd = value(out_looped, down, bind<"x">(xv));
    for (std::size_t i = 0; i < width; ++i) CHECK(mixed_error((yu[i] - yd[i]) / (2 * h), jpl.matrix(i, j)) <= 1e-7);
  }
}

TEST_CASE("loop node on SIMD lanes: batch gradients and inference equal the unrolled stack's") {
  unrolled_params<float> PU, GU;
  loop_params<float> PL, GL, GL2;
  fill_both(PU, PL, 21);
  for (std::size_t n : {1, 7, 37}) {
    CAPTURE(n);
    std::vector<float> xs(n * width), ts(n * width);
    for (std::size_t k = 0; k < xs.size(); ++k) {
      xs[k] = float(std::sin(0.37 * double(k)));
      ts[k] = float(std::cos(0.11 * double(k)));
    }
    auto eu = std::make_unique<batch_engine<decltype(unrolled), unrolled_params<float>>>();
    auto el = std::make_unique<batch_engine<decltype(looped), loop_params<float>, decltype(eu)::element_type::pack>>();
    auto el2 =
        std::make_unique<batch_engine<decltype(looped_2), loop_params<float>, decltype(eu)::element_type::pack>>();
    const float lu = eu->value_and_grad_into(PU, GU, n, bind<"x">(xs), bind<"t">(ts));
    const float ll = el->value_and_grad_into(PL, GL, n, bind<"x">(xs), bind<"t">(ts));
    const float ll2 = el2->value_and_grad_into(PL, GL2, n, bind<"x">(xs), bind<"t">(ts));
    CHECK(ll == doctest::Approx(lu).epsilon(1e-6));
    CHECK(ll2 == ll);
    CHECK(same_bits(GL2, GL));
    for (std::size_t k = 0; k < PU.size(); ++k) {
      CAPTURE(k);
      CHECK(GL.data()[k] == doctest::Approx(GU.data()[k]).epsilon(1e-5).scale(1));
    }

    // Inference of the stack's output, against one sample at a time.
    constexpr auto out = x | nn::repeat<depth, "block">(loop_block, checkpoint_every<3>);
    std::vector<float> ys(n * width);
    value_batch_into(out, PL, n, ys, bind<"x">(xs));
    for (std::size_t s = 0; s < n; ++s) {
      std::array<float, width> xv;
      std::copy_n(xs.begin() + s * width, width, xv.begin());
      const auto y = value(out, PL, bind<"x">(xv));
      for (std::size_t e = 0; e < width; ++e) CHECK(ys[s * width + e] == doctest::Approx(y[e]).epsilon(1e-6));
    }
  }
}

TEST_CASE("loop node: save, load and initializers see the unrolled stack's parameters") {
  unrolled_params<double> PU;
  loop_params<double> PL;
  init::initialize(PU, init::he_normal, 5);
  init::initialize(PL, init::he_normal, 5);
  CHECK(same_bits(PU, PL));

  randomize(PU, 3);
  std::stringstream file;
  save(PU, file);
  load(PL, file);
  CHECK(same_bits(PU, PL));
}

TEST_CASE("loops nest, carry scalars, and take parameters as their initial value") {
  // h <- tanh(a h + c), 50 times, from a learned h0.
  constexpr auto h = input<"h">;
  constexpr auto body = tanh(param<"a"> * h + param<"c">);
  constexpr auto f = square(repeat<50, "step">(body, h, param<"h0">) - input<"y">);
  params<decltype(f), double> P;
  for (std::size_t i = 0; i < 50; ++i) {
    P.data()[1 + 2 * i] = 0.9 + 0.001 * double(i);
    P.data()[2 + 2 * i] = 0.1 - 0.002 * double(i);
  }
  P.get<"h0">() = 0.3;
  CHECK(P.layout_info()[0].name == "h0");
  CHECK(P.layout_info()[100].name == "step49.c");
  const auto report = gradcheck(f, P, bind<"y">(0.25));
  INFO(report);
  CHECK(report.ok(1e-7));
  double hv = 0.3;
  for (std::size_t i = 0; i < 50; ++i) hv = std::tanh(P.data()[1 + 2 * i] * hv + P.data()[2 + 2 * i]);
  CHECK(value(f, P, bind<"y">(0.25)) == doctest::Approx((hv - 0.25) * (hv - 0.25)).epsilon(1e-14));

  // 3 stages of 4 blocks: "stage1.block2.W".
  constexpr auto inner = [](auto g) { return nn::repeat<4, "block">(loop_block)(g); };
  constexpr auto nested = nn::half_squared_error(x | nn::repeat<3, "stage">(inner, checkpoint_every<2>), target);
  using PN = params<decltype(nested), double>;
  static_assert(PN::leaf_count() == 3 * 4 * 2);
  CHECK(PN::layout_info()[13].name == "stage1.block2.b");
  PN Q;
  randomize(Q, 4);
  const auto xv = random_array<width>(1), tv = random_array<width>(2);
  const auto nested_report = gradcheck(nested, Q, bind<"x">(xv), bind<"t">(tv));
  INFO(nested_report);
  CHECK(nested_report.ok(1e-7));
  // Twelve blocks unrolled give the same value.
  constexpr auto twelve = nn::half_squared_error(x | nn::repeat<12, "block">(loop_block), target);
  params<decltype(twelve), double> Q12;
  std::memcpy(Q12.data(), Q.data(), sizeof(double) * Q.size());
  CHECK(value(nested, Q, bind<"x">(xv), bind<"t">(tv)) == value(twelve, Q12, bind<"x">(xv), bind<"t">(tv)));
}

TEST_CASE("a deep loop: 1000 blocks, every block kept (sample_engine) or every 32nd, the same bits") {
  constexpr auto stored = nn::half_squared_error(x | nn::repeat<1000, "block">(loop_block), target);
  constexpr auto deep = nn::half_squared_error(x | nn::repeat<1000, "block">(loop_block, checkpoint_every<32>), target);
  using P = params<decltype(deep), double>;
  static_assert(P::leaf_count() == 2000 && std::is_same_v<P, params<decltype(stored), double>>);
  static_assert(sizeof(workspace<decltype(deep), double>) * 10 < sizeof(workspace<decltype(stored), double>));
  auto p = std::make_unique<P>(), g = std::make_unique<P>(), g_stored = std::make_unique<P>();
  randomize(*p, 5, 0.05);
  const auto xv = random_array<width>(6), tv = random_array<width>(7);
  const double L = value_and_grad_into(deep, *p, *g, bind<"x">(xv), bind<"t">(tv));
  sample_engine<decltype(stored), P> engine;
  CHECK(engine.value_and_grad_into(*p, *g_stored, bind<"x">(xv), bind<"t">(tv)) == L);
  CHECK(same_bits(*g, *g_stored));
  // A few parameters of the first, a middle and the last block against
  // central differences.
  for (std::size_t k : {std::size_t{0}, std::size_t{17}, std::size_t{500 * 20 + 3}, std::size_t{999 * 20 + 19}}) {
    CAPTURE(k);
    const double h = 1e-6, keep = p->data()[k];
    p->data()[k] = keep + h;
    const double up = value(deep, *p, bind<"x">(xv), bind<"t">(tv));
    p->data()[k] = keep - h;
    const double down = value(deep, *p, bind<"x">(xv), bind<"t">(tv));
    p->data()[k] = keep;
    CHECK(mixed_error((up - down) / (2 * h), g->data()[k]) <= 1e-6);
  }
}
