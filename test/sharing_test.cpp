// Sharing: a sub-expression used k times is evaluated once per forward
// sweep and its adjoint propagated once per reverse sweep. Proved on a stack
// of 64 residual blocks h = h + tanh(W_i h + b_i), where every h is used
// twice (a tree walk would evaluate the input 2^64 times), three ways:
//   - the sweeps' own visit counts (an observer);
//   - a number type that counts its tanh calls, so the count comes from the
//     arithmetic itself, not from the driver;
//   - the gradient against a hand-written residual backward pass.
// Also the compile-time facts: node count after sharing, workspace bytes,
// parameter offsets.

#include <array>
#include <cmath>
#include <cstddef>
#include <set>
#include <vector>

#include <doctest/doctest.h>

#include <tapeless/core.hpp>

using namespace tapeless;

// Input "q" hashes like input "p" (its kind hash is p's), so only an exact
// comparison tells them apart: merges of a few nodes compare exactly and
// must keep them apart (merges of more go through hashes and refuse such
// a pair: compile_fail/hash_collision.cpp).
template <>
struct tapeless::detail::node_traits<input_t<name<'q'>, scalar>> {
  static constexpr hash128 kind = kind_hash<input_t<name<'p'>, scalar>>;
  static constexpr node_args args{};
};

namespace {

constexpr std::size_t depth = 64;
constexpr std::size_t width = 8;

template <std::size_t I, class H>
constexpr auto residual_stack(H h) {
  if constexpr (I == depth) {
    return h;
  } else {
    constexpr auto W = param<indexed_name<"W", I>, mat<width, width>>;
    constexpr auto b = param<indexed_name<"b", I>, vec<width>>;
    return residual_stack<I + 1>(h + tanh(W * h + b));
  }
}

constexpr auto x = input<"x", vec<width>>;
constexpr auto net = residual_stack<0>(x);
constexpr auto loss = 0.5_c * sum(square(net));
using loss_t = std::remove_cvref_t<decltype(loss)>;

// Counts the op nodes each sweep visits, and how many distinct ones.
struct visit_counter {
  mutable std::size_t forward = 0, reverse = 0;
  mutable std::set<const void*> forward_nodes, reverse_nodes;
  template <class Call>
  void forward_visit() const {
    ++forward;
    forward_nodes.insert(&tag<Call>);
  }
  template <class Call>
  void reverse_visit() const {
    ++reverse;
    reverse_nodes.insert(&tag<Call>);
  }
  template <class Call>
  void tangent_visit() const {}
  template <class Call>
  static constexpr char tag = 0;
};

// A number that counts its tanh evaluations. The op rules run on it
// unchanged: they are generic over the number type.
struct counted {
  double v = 0;
  static inline std::size_t tanh_calls = 0;

  counted() = default;
  template <class A>
    requires std::is_arithmetic_v<A>
  counted(A a) : v(double(a)) {}

  friend counted operator+(counted a, counted b) { return a.v + b.v; }
  friend counted operator-(counted a, counted b) { return a.v - b.v; }
  friend counted operator*(counted a, counted b) { return a.v * b.v; }
  counted& operator+=(counted b) {
    v += b.v;
    return *this;
  }
  friend counted tanh(counted a) {
    ++tanh_calls;
    return std::tanh(a.v);
  }
};

// The residual stack by hand: forward, then backward with the residual
// "gradient highway" dL/dh_i = dL/dh_{i+1} (1 + dF/dh).
template <class P>
std::pair<double, std::vector<double>> reference(const P& params, const std::array<double, width>& x0) {
  std::vector<std::array<double, width>> h(depth + 1), t(depth);
  h[0] = x0;
  auto W = [&](std::size_t i, std::size_t r, std::size_t c) {
    return params.data()[P::layout_info()[2 * i].offset + r * width + c];
  };
  auto b = [&](std::size_t i, std::size_t r) { return params.data()[P::layout_info()[2 * i + 1].offset + r]; };
  for (std::size_t i = 0; i < depth; ++i)
    for (std::size_t r = 0; r < width; ++r) {
      double a = b(i, r);
      for (std::size_t c = 0; c < width; ++c) a += W(i, r, c) * h[i][c];
      t[i][r] = std::tanh(a);
      h[i + 1][r] = h[i][r] + t[i][r];
    }
  double L = 0;
  for (double v : h[depth]) L += 0.5 * v * v;

  std::vector<double> grad(P::size(), 0.0);
  std::array<double, width> dh = h[depth];  // dL/dh_depth
  for (std::size_t i = depth; i-- > 0;) {
    std::array<double, width> da{}, dprev = dh;
    for (std::size_t r = 0; r < width; ++r) da[r] = dh[r] * (1 - t[i][r] * t[i][r]);
    for (std::size_t r = 0; r < width; ++r) {
      grad[P::layout_info()[2 * i + 1].offset + r] = da[r];
      for (std::size_t c = 0; c < width; ++c) {
        grad[P::layout_info()[2 * i].offset + r * width + c] = da[r] * h[i][c];
        dprev[c] += W(i, r, c) * da[r];
      }
    }
    dh = dprev;
  }
  return {L, grad};
}

template <class P>
void fill(P& params) {
  std::size_t k = 0;
  for (double& v : params) v = 0.3 * std::sin(0.7 * double(k++));
}

}  // namespace

// Every distinct node once: 64 blocks of 4 op nodes (matvec, + b, tanh,
// + h) and 2 parameters, plus the input and the loss's square, sum and
// scaling.
static_assert(graph<loss_t>::node_count == depth * 6 + 1 + 3);
static_assert(detail::filter_t<graph<loss_t>::nodes, detail::is_node>::size == depth * 4 + 3);
static_assert(params<loss_t>::size() == depth * (width * width + width));
static_assert(params<loss_t>::offset_of<param_t<name_of<"b0">, vec<width>>>() == width * width);
static_assert(params<loss_t>::offset_of<param_t<name_of<"W1">, mat<width, width>>>() == width * width + width);
// Slots: the input and every op node; parameters live in the buffer.
static_assert(slot_layout<loss_t>::size == width + depth * 4 * width + width + 1 + 1);
static_assert(workspace<loss_t, double>::bytes == 2 * slot_layout<loss_t>::size * sizeof(double));
static_assert(sizeof(workspace<loss_t, double>) == workspace<loss_t, double>::bytes);

TEST_CASE("64 residual blocks: each node is visited once per sweep") {
  params<loss_t> P, G;
  fill(P);
  const std::array<double, width> xv{0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8};

  visit_counter counter;
  const double L = detail::run_reverse<loss_t, double, detail::reverse_mode<true, false, true>>(
      P, G.data(), static_cast<input_values<loss_t>*>(nullptr), detail::unit_seed<double>{}, counter, bind<"x">(xv));

  constexpr std::size_t op_nodes = depth * 4 + 3;
  CHECK(counter.forward == op_nodes);
  CHECK(counter.forward_nodes.size() == op_nodes);
  CHECK(counter.reverse == op_nodes);
  CHECK(counter.reverse_nodes.size() == op_nodes);

  const auto [expected_L, expected_grad] = reference(P, xv);
  CHECK(L == doctest::Approx(expected_L).epsilon(1e-13));
  double worst = 0;
  for (std::size_t k = 0; k < P.size(); ++k)
    worst = std::max(worst, std::abs(G.data()[k] - expected_grad[k]) / std::max(1.0, std::abs(expected_grad[k])));
  CHECK(worst < 1e-12);
}

TEST_CASE("64 residual blocks: tanh runs 64 times, counted by the numbers themselves") {
  params<loss_t> P;
  fill(P);
  const std::array<double, width> xv{0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8};
  std::vector<counted> G(P.size());

  counted::tanh_calls = 0;
  const counted L = detail::run_reverse<loss_t, counted, detail::reverse_mode<true, false, true>>(
      P, G.data(), static_cast<input_values<loss_t>*>(nullptr), detail::unit_seed<counted>{}, detail::no_observer{},
      bind<"x">(xv));
  // One tanh per block and element in the forward sweep; the VJP of tanh
  // reuses the stored value and calls none.
  CHECK(counted::tanh_calls == depth * width);
  CHECK(L.v == doctest::Approx(value(loss, P, bind<"x">(xv))).epsilon(1e-15));
  const auto [Ld, Gd] = value_and_grad(loss, P, bind<"x">(xv));
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(G[k].v == Gd.data()[k]);
  }
}

TEST_CASE("a node used three times gets the sum of its three adjoint contributions") {
  constexpr auto a = input<"a", scalar>;
  constexpr auto u = exp(a);                      // evaluated once
  constexpr auto f = u * u + u;                   // three uses
  static_assert(graph<decltype(f)>::node_count == 4);  // a, exp(a), u * u, + u
  const auto r = value_and_grad(f, wrt_inputs, bind<"a">(0.5));
  const double e = std::exp(0.5);
  CHECK(r.value == doctest::Approx(e * e + e).epsilon(1e-15));
  CHECK(r.input_grad.get<"a">() == doctest::Approx(2 * e * e + e).epsilon(1e-15));
}

TEST_CASE("the seed network's compile-time facts") {
  constexpr auto xs = input<"x", vec<2>>;
  constexpr auto y = input<"y", scalar>;
  constexpr auto W1 = param<"W1", mat<2, 2>>;
  constexpr auto b1 = param<"b1", vec<2>>;
  constexpr auto w2 = param<"w2", vec<2>>;
  constexpr auto b2 = param<"b2">;
  constexpr auto seed_loss = 0.5_c * square(dot(w2, relu(W1 * xs + b1)) + b2 - y);
  using L = std::remove_cvref_t<decltype(seed_loss)>;
  // x, W1, W1 x, b1, +, relu, w2, dot, b2, +, y, -, square, 0.5 * (the
  // constant has no node).
  static_assert(graph<L>::node_count == 14);
  // Slots: x(2) y(1) matvec(2) +(2) relu(2) dot(1) +(1) -(1) square(1) *(1).
  static_assert(slot_layout<L>::size == 14);
  static_assert(workspace<L, double>::bytes == 224);
  static_assert(workspace<L, float>::bytes == 112);
  static_assert(params<L>::size() == 9);
  static_assert(params<L>::offset_of<param_t<name_of<"W1">, mat<2, 2>>>() == 0);
  static_assert(params<L>::offset_of<param_t<name_of<"b1">, vec<2>>>() == 4);
  static_assert(params<L>::offset_of<param_t<name_of<"w2">, vec<2>>>() == 6);
  static_assert(params<L>::offset_of<param_t<name_of<"b2">, scalar>>() == 8);
  static_assert(alignof(params<L>) == 64);
  CHECK(params<L>::layout_info()[3].name == "b2");
}

TEST_CASE("merges share equal sub-expressions; f + g with f and g each used once gets both adjoints") {
  constexpr auto u = input<"u", vec<3>>;
  constexpr auto v = input<"v", vec<3>>;
  // Small merge: [u, exp(u)] (2 nodes) into [v, u, v * u]: u is found,
  // exp(u) is new. v, u, v * u, exp(u), +.
  constexpr auto small = exp(u) + v * u;
  static_assert(graph<decltype(small)>::node_count == 5);
  // Large merge: f's 5 nodes (u, v, u * v, exp(u), +) into g's list, by
  // hash: all but f's root are found. g: u, exp(u), v, u * v, *, +; then
  // f's root and the final +. f and g are each used once, by an add
  // (identity VJPs): only one of them may take over the add's adjoint
  // memory (the second one used to, and read memory the plan had handed
  // out again: wrong gradients in the first two elements).
  constexpr auto f = u * v + exp(u);
  constexpr auto g = exp(u) * (u * v) + u;
  constexpr auto both = f + g;
  static_assert(graph<decltype(both)>::node_count == 8);
  const std::array<double, 3> uv{0.5, -1.0, 2.0}, vv{1.5, 0.25, -0.5};
  const auto r = value_and_grad(sum(both), wrt_inputs, bind<"u">(uv), bind<"v">(vv));
  double expected = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const double e = std::exp(uv[i]), m = uv[i] * vv[i];
    expected += (m + e) + (e * m + uv[i]);
    CHECK(r.input_grad.get<"u">()[i] == doctest::Approx(vv[i] + e + e * m + e * vv[i] + 1).epsilon(1e-14));
  }
  CHECK(r.value == doctest::Approx(expected).epsilon(1e-14));

  // Equal hashes, different nodes, merged by exact comparison: two nodes.
  constexpr auto p = input<"p", scalar>;
  constexpr auto q = input<"q", scalar>;
  constexpr auto pq = p - q;
  static_assert(graph<decltype(pq)>::node_count == 3);
  CHECK(value(pq, bind<"p">(3.0), bind<"q">(1.0)) == 2.0);
}
