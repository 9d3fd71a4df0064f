// describe, to_dot and graph_stats: the totals against counts by hand on the
// seed network, a residual block (a shared node) and a loop node, and the
// text and DOT they print.

#include <doctest/doctest.h>

#include <string>

#include <tapeless/core.hpp>
#include <tapeless/util/describe.hpp>

using namespace tapeless;

namespace {

// The seed's network (test/seed_example_test.cpp).
constexpr auto x = input<"x", vec<2>>;
constexpr auto W1 = param<"W1", mat<2, 2>>;
constexpr auto b1 = param<"b1", vec<2>>;
constexpr auto w2 = param<"w2", vec<2>>;
constexpr auto b2 = param<"b2">;
constexpr auto yhat = dot(w2, relu(W1 * x + b1)) + b2;
constexpr auto seed_loss = 0.5_c * square(yhat - input<"y", scalar>);
using seed_stats = graph_stats<decltype(seed_loss)>;

// Leaves: W1, x, b1, w2, b2, y, the constant 0.5; ops: matvec, add, relu,
// dot, add, sub, square, mul.
static_assert(seed_stats::nodes_count == 15 && seed_stats::ops == 8);
static_assert(seed_stats::parameters == 4 + 2 + 2 + 1 && seed_stats::parameter_leaves == 4);
static_assert(seed_stats::input_numbers == 3);
// Value: matvec 2·2·2 = 8, add 2, relu 2, dot 2·2 = 4, then four scalar ops.
static_assert(seed_stats::flops_value == 8 + 2 + 2 + 4 + 1 + 1 + 1 + 1);
// Gradient with respect to the parameters:
//   mul: into square 2 (the constant gets nothing)      2
//   square: 2 · 1                                       2
//   sub: into the add, which shares its adjoint; y none 0
//   add: into the dot, shared; into b2 one add          1
//   dot: into w2 and into relu, 2 · 2 each              8
//   relu: 2 · 2                                         4
//   add: into the matvec, shared; into b1 2             2
//   matvec: into W1 2 · 2 · 2; x is an input            8
static_assert(seed_stats::flops_gradient == 2 + 2 + 0 + 1 + 8 + 4 + 2 + 8);
static_assert(seed_stats::flops_value_and_grad == 20 + 27);
// Values: the inputs x (2) and y (1), and every op's result (parameters
// and constants live elsewhere).
static_assert(seed_stats::values == 2 + 1 + (2 + 2 + 2) + (1 + 1 + 1 + 1 + 1));

// A residual block: x is read twice (by the product and by the sum).
constexpr auto h = input<"h", vec<4>>;
constexpr auto block = h + relu(param<"W", mat<4, 4>> * h + param<"b", vec<4>>);
constexpr auto residual_loss = sum(square(block));
using residual_stats = graph_stats<decltype(residual_loss)>;
// matvec 32, add 4, relu 4, add 4, square 4, sum 4.
static_assert(residual_stats::flops_value == 32 + 4 + 4 + 4 + 4 + 4);
// sum 4, square 8, residual add: h is an input, relu shares its adjoint (0),
// relu 8, add: the product shares, b 4, matvec: W 32.
static_assert(residual_stats::flops_gradient == 4 + 8 + 0 + 8 + 4 + 32);

// The same block as a loop node of 4 blocks, and with checkpoints every 3
// (blocks 0-2 recomputed before their reverse sweeps).
constexpr auto layer = [](auto v) { return v + nn::relu(nn::dense<"", 4>(v)); };
constexpr auto looped = sum(square(h | nn::repeat<4, "block">(layer)));
constexpr auto checkpointed = sum(square(h | nn::repeat<4, "block">(layer, checkpoint_every<3>)));
// A block: matvec 32, bias 4, relu 4, residual 4 = 44. Its reverse sweep
// (parameters and the carried h seeded): residual add into h 4 (h is read
// twice, so it does not share), relu 8, bias 4, matvec into W 32 and into h
// 32 = 80.
static_assert(graph_stats<decltype(looped)>::flops_value == 4 * 44 + 4 + 4);
static_assert(graph_stats<decltype(looped)>::flops_gradient == 4 + 8 + 4 * 80);
static_assert(graph_stats<decltype(checkpointed)>::flops_gradient == 4 + 8 + 4 * 80 + 3 * 44);
static_assert(graph_stats<decltype(looped)>::parameters == 4 * (16 + 4));

}  // namespace

TEST_CASE("describe: one row per node after sharing, then the totals") {
  const std::string text = describe(residual_loss);
  CHECK(text.find("matvec") != std::string::npos);
  CHECK(text.find("relu ") != std::string::npos);
  CHECK(text.find("param              W ") != std::string::npos);
  CHECK(text.find("input              h            vec<4>                             2") != std::string::npos);
  CHECK(text.find("flops: value 52, gradient 56, value and gradient 108") != std::string::npos);
  CHECK(text.find("20 parameters in 2 leaves") != std::string::npos);
  MESSAGE(text);
}

TEST_CASE("to_dot: leaves by kind, shared nodes bold, one edge per argument") {
  const std::string dot = to_dot(residual_loss);
  CHECK(dot.rfind("digraph tapeless {", 0) == 0);
  CHECK(dot.find("[label=\"W\\nmat<4, 4>\", shape=box, style=filled") != std::string::npos);
  CHECK(dot.find("[label=\"h\\nvec<4>\\n(2 uses)\", shape=ellipse, style=filled, fillcolor=\"#cfe3f7\", penwidth=2.5]") !=
        std::string::npos);
  std::size_t edges = 0;
  for (std::size_t at = 0; (at = dot.find(" -> ", at)) != std::string::npos; ++at) ++edges;
  CHECK(edges == 2 + 2 + 1 + 2 + 1 + 1);  // matvec, add, relu, add, square, sum
  CHECK(dot.substr(dot.size() - 2) == "}\n");
}
