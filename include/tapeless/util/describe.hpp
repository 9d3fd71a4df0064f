#pragma once
// What the compiler built for an expression: its nodes after sharing, its
// parameters and inputs, its workspace and its work.
//
//   std::cout << describe(loss);                 // a table of the nodes, then the totals
//   to_dot(loss, file);                          // Graphviz DOT of the graph
//   static_assert(graph_stats<decltype(loss)>::flops_value_and_grad < 100'000);
//
// graph_stats<F> (all constexpr):
//   nodes             distinct nodes after sharing (leaves, constants, ops)
//   ops               op nodes
//   parameters        numbers in params<F> (and parameter_leaves, the named leaves)
//   input_numbers     numbers bound to F's inputs per sample
//   values            numbers in the workspace: one per value of an input or op node
//   adjoints          numbers of the compact adjoint layout the gradient
//                     with respect to the parameters uses (eval/adjoint_plan.hpp)
//   bytes<E>          (values + adjoints) · sizeof(E): one sample's workspace
//                     for value_and_grad in E; a batch sweep keeps this per
//                     lane, plus one accumulator per parameter
//   flops_value, flops_gradient, flops_value_and_grad
//
// Flops are counted by a model, per node, from the shapes:
//   - an add, multiply or elementary function (exp, tanh, …) of one number
//     is 1; a multiply-add is 2; moving numbers (slice, concat, reshape) is 0;
//   - a product: matvec M×N 2MN, matmul M×K·K×N 2MKN, dot of n 2n, outer
//     M·N MN, conv2d 2 · outputs · (filter size);
//   - a VJP: per argument whose adjoint the reverse sweep computes, the
//     same product again for products (W̄ and x̄ of a matvec are 2MN each),
//     an add per element for add, sub, sums and moves (ā += ȳ), and a
//     multiply-add per element for the other elementwise ops;
//   - the gradient is the reverse sweep the batch engine and
//     value_and_grad with respect to the parameters run: VJPs into inputs,
//     into constants, and identity VJPs whose argument shares the result's
//     adjoint (eval/adjoint_plan.hpp) cost nothing;
//   - a loop node (nn::repeat<N, "name">) is N times its block, plus the
//     blocks recomputed with checkpoints.
// The counts are what the library's code does in this model, not measured
// instructions; they are meant for comparing graphs and for budgets.

#include <array>
#include <cstddef>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/merge.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/adjoint_plan.hpp>
#include <tapeless/eval/finite.hpp>
#include <tapeless/eval/sweep.hpp>
#include <tapeless/ops/ops.hpp>

namespace tapeless {

namespace detail {

// ---- the flop model (see above) ------------------------------------------

// An op's flops from its output size n and its arguments' shapes Args:
// value(), and vjp(a) into argument a. The default: elementwise ops and
// moves (the families of ops/family.hpp); the products, reductions,
// windows and the loop node are specialized below.
template <class Op, class... Args>
struct op_flops {
  static constexpr std::array<std::size_t, sizeof...(Args)> sizes{Args::size...};
  static constexpr bool elementwise = std::is_base_of_v<unary_elementwise, Op> || std::is_base_of_v<binary_elementwise, Op>;
  static constexpr std::size_t value(std::size_t n) { return elementwise ? n : 0; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t a) { return elementwise ? 2 * n : sizes[a]; }
};
// ā += ȳ (or -ȳ): one add per element.
template <class Op, class... Args>
struct adding_flops {
  static constexpr std::size_t value(std::size_t n) { return n; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t) { return n; }
};
template <class... Args>
struct op_flops<add_op, Args...> : adding_flops<add_op, Args...> {};
template <class... Args>
struct op_flops<sub_op, Args...> : adding_flops<sub_op, Args...> {};
template <class... Args>
struct op_flops<neg_op, Args...> : adding_flops<neg_op, Args...> {};
template <class... Args>
struct op_flops<add_channel_bias_op, Args...> : adding_flops<add_channel_bias_op, Args...> {};

// Products: the VJP into either argument costs the product again.
template <std::size_t F>
struct product_flops {
  static constexpr std::size_t value(std::size_t) { return F; }
  static constexpr std::size_t vjp(std::size_t, std::size_t) { return F; }
};
template <class W, class X>
struct op_flops<matvec_op, W, X> : product_flops<2 * W::rows * W::cols> {};
template <class A, class B>
struct op_flops<matmul_op, A, B> : product_flops<2 * A::rows * A::cols * B::cols> {};
template <class A, class B>
struct op_flops<dot_op, A, B> : product_flops<2 * A::size> {};
template <std::size_t K, std::size_t S, std::size_t P, class W, class X>
struct op_flops<conv2d_op<K, S, P>, W, X> {
  static constexpr std::size_t value(std::size_t n) { return 2 * n * W::cols; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t) { return 2 * n * W::cols; }
};
template <class A, class B>
struct op_flops<outer_op, A, B> {
  static constexpr std::size_t value(std::size_t n) { return n; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t) { return 2 * n; }
};

// Reductions.
template <class A>
struct op_flops<sum_op, A> {
  static constexpr std::size_t value(std::size_t) { return A::size; }
  static constexpr std::size_t vjp(std::size_t, std::size_t) { return A::size; }
};
template <class A>
struct op_flops<mean_op, A> {
  static constexpr std::size_t value(std::size_t) { return A::size + 1; }
  static constexpr std::size_t vjp(std::size_t, std::size_t) { return A::size; }
};
// max, x - max, exp, sum, log; the VJP: softmax and a multiply-add.
template <class A>
struct op_flops<logsumexp_op, A> {
  static constexpr std::size_t value(std::size_t) { return 3 * A::size + 1; }
  static constexpr std::size_t vjp(std::size_t, std::size_t) { return 3 * A::size; }
};

// Windows: a max pool's VJP routes one number per output.
template <std::size_t K, std::size_t S, class X>
struct op_flops<max_pool2d_op<K, S>, X> {
  static constexpr std::size_t value(std::size_t n) { return n * K * K; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t) { return n; }
};
template <std::size_t K, std::size_t S, class X>
struct op_flops<avg_pool2d_op<K, S>, X> {
  static constexpr std::size_t value(std::size_t n) { return n * K * K; }
  static constexpr std::size_t vjp(std::size_t n, std::size_t) { return n * K * K; }
};

template <class Root, class Seeds>
struct flop_totals;

// The loop node: N blocks, plus the blocks recomputed from checkpoints.
template <class Body, class Carry, std::size_t N, std::size_t Every, class... Args>
struct op_flops<repeat_op<Body, Carry, N, Every>, Args...> {
  using op = repeat_op<Body, Carry, N, Every>;
  using block = flop_totals<Body, typename op::template seeds<true>>;
  static constexpr std::size_t recomputed = N - (N - (op::plan.stretches() - 1) * op::plan.every);
  static constexpr std::size_t value(std::size_t) { return N * block::value; }
  // The blocks' reverse sweeps (and the blocks recomputed before them),
  // once for the node, whichever of its arguments needs an adjoint.
  static constexpr bool whole_node = true;
  static constexpr std::size_t vjp(std::size_t, std::size_t) { return N * block::gradient + recomputed * block::value; }
};

template <class Rule>
constexpr bool counts_whole_node() {
  if constexpr (requires { Rule::whole_node; })
    return Rule::whole_node;
  else
    return false;
}

template <class N, class Nodes>
struct node_flops {
  static constexpr std::size_t value = 0;
  static constexpr bool whole_node = false;
  static constexpr std::size_t vjp(std::size_t) { return 0; }
};
template <class Op, class S, class Nodes, std::size_t... A>
struct node_flops<op_node<Op, S, A...>, Nodes> {
  using rule = op_flops<Op, typename type_at<A, Nodes>::shape...>;
  static constexpr std::size_t value = rule::value(S::size);
  static constexpr bool whole_node = counts_whole_node<rule>();
  static constexpr std::size_t vjp(std::size_t a) { return rule::vjp(S::size, a); }
};

// The flops of Root's value, and of its reverse sweep seeded at Seeds (the
// VJPs the compact plan runs).
template <class Root, class Seeds>
struct flop_totals {
  using nodes = typename Root::nodes;
  using plan = adjoint_plan<Root, Seeds>;
  template <std::size_t K>
  static constexpr std::size_t gradient_of() {
    using N = type_at<K, nodes>;
    std::size_t total = 0;
    for (std::size_t a = 0; a < node_traits<N>::args.count; ++a)
      if ((plan::data.vjp_mask[K] >> a) & 1u) {
        total += node_flops<N, nodes>::vjp(a);
        if (node_flops<N, nodes>::whole_node) break;
      }
    return total;
  }
  static constexpr std::size_t value = []<std::size_t... K>(std::index_sequence<K...>) {
    return (std::size_t{0} + ... + node_flops<type_at<K, nodes>, nodes>::value);
  }(std::make_index_sequence<nodes::size>{});
  static constexpr std::size_t gradient = [] {
    if constexpr (!root_active<Root, Seeds>)
      return std::size_t{0};
    else
      return []<std::size_t... K>(std::index_sequence<K...>) {
        return (std::size_t{0} + ... + gradient_of<K>());
      }(std::make_index_sequence<nodes::size>{});
  }();
};

using gradient_seeds = seed_leaves<true, false>;

}  // namespace detail

// The totals of F's graph, at compile time (see the top of this header).
template <class F>
struct graph_stats {
  using root = std::remove_cvref_t<F>;
  using nodes = typename root::nodes;
  using totals = detail::flop_totals<root, detail::gradient_seeds>;

  static constexpr std::size_t nodes_count = nodes::size;
  static constexpr std::size_t ops = detail::filter_t<nodes, detail::is_node>::size;
  static constexpr std::size_t parameter_leaves = graph<root>::params::size;
  static constexpr std::size_t parameters = detail::leaf_buffer<typename graph<root>::params, float>::size();
  static constexpr std::size_t input_numbers = []<class... I>(detail::type_list<I...>) {
    return (std::size_t{0} + ... + I::shape::size);
  }(typename graph<root>::inputs{});
  static constexpr std::size_t values = slot_layout<root>::size;
  static constexpr std::size_t adjoints = detail::adjoint_plan<root, detail::gradient_seeds>::data.size;
  template <class E>
  static constexpr std::size_t bytes = (values + adjoints) * sizeof(E);
  static constexpr std::size_t flops_value = totals::value;
  static constexpr std::size_t flops_gradient = totals::gradient;
  static constexpr std::size_t flops_value_and_grad = totals::value + totals::gradient;
};

namespace detail {

// One node as describe() and to_dot() show it.
struct node_row {
  std::size_t index = 0;
  std::string kind;  // "input", "param", "const" or the op's name
  std::string name;  // a leaf's name or a constant's value
  std::string shape;
  std::array<std::size_t, max_op_args> args{};
  std::size_t arg_count = 0;
  std::size_t uses = 0;  // op nodes reading it (the root counts once more)
  std::size_t value_flops = 0, gradient_flops = 0;
};

// The op's name (eval/finite.hpp's label), with its template arguments when
// they are numbers (slice<0, 4>) and without them otherwise (relu's kink
// convention, a loop node's block).
template <class Op, class S, std::size_t... A>
std::string op_name(op_node<Op, S, A...>*) {
  std::string name = op_label<Op>();
  const std::size_t open = name.find('<');
  // Types among the arguments, or none (clang leaves out defaulted ones).
  if (open != std::string::npos && (name.find_first_not_of("0123456789, >", open + 1) != std::string::npos ||
                                    name.compare(open, std::string::npos, "<>") == 0))
    name.erase(open);
  return name;
}

template <class Root>
std::array<node_row, Root::nodes::size> node_rows() {
  using nodes = typename Root::nodes;
  using totals = flop_totals<Root, gradient_seeds>;
  std::array<node_row, nodes::size> rows;
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          using N = type_at<K, nodes>;
          node_row& r = rows[K];
          r.index = K;
          r.shape = shape_string<typename N::shape>();
          if constexpr (input_leaf<N>) {
            r.kind = "input";
            r.name = std::string(N::name::view());
          } else if constexpr (param_leaf<N>) {
            r.kind = "param";
            r.name = std::string(N::name::view());
          } else if constexpr (constant_leaf<N>) {
            r.kind = "const";
            std::ostringstream text;
            text << double(N::value::template as<double>());
            r.name = text.str();
          } else {
            r.kind = op_name(static_cast<N*>(nullptr));
            r.arg_count = node_traits<N>::args.count;
            for (std::size_t a = 0; a < r.arg_count; ++a) r.args[a] = node_traits<N>::args.index[a];
            r.value_flops = node_flops<N, nodes>::value;
            if constexpr (root_active<Root, gradient_seeds>) r.gradient_flops = totals::template gradient_of<K>();
          }
        }(),
        ...);
  }(std::make_index_sequence<nodes::size>{});
  for (const node_row& r : rows)
    for (std::size_t a = 0; a < r.arg_count; ++a) ++rows[r.args[a]].uses;
  ++rows[nodes::size - 1].uses;
  return rows;
}

}  // namespace detail

// A table of f's nodes (index, kind, name, shape, arguments, uses, value and
// gradient flops), then graph_stats' totals.
template <expression F>
std::string describe(F) {
  using root = std::remove_cvref_t<F>;
  using stats = graph_stats<root>;
  const auto rows = detail::node_rows<root>();
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%4s  %-18s %-12s %-16s %-14s %4s %10s %10s\n", "node", "op", "name", "shape",
                "arguments", "uses", "flops", "gradient");
  out << line;
  for (const auto& r : rows) {
    std::string args;
    for (std::size_t a = 0; a < r.arg_count; ++a) args += (a ? ", " : "") + std::to_string(r.args[a]);
    std::snprintf(line, sizeof line, "%4zu  %-18s %-12s %-16s %-14s %4zu %10zu %10zu\n", r.index, r.kind.c_str(),
                  r.name.c_str(), r.shape.c_str(), args.c_str(), r.uses, r.value_flops, r.gradient_flops);
    out << line;
  }
  out << stats::nodes_count << " nodes after sharing (" << stats::ops << " ops), " << stats::parameters
      << " parameters in " << stats::parameter_leaves << " leaves, " << stats::input_numbers
      << " input numbers per sample\n"
      << "workspace: " << stats::values << " values + " << stats::adjoints << " adjoints = "
      << stats::template bytes<float> << " bytes in float, " << stats::template bytes<double> << " in double (per sample)\n"
      << "flops: value " << stats::flops_value << ", gradient " << stats::flops_gradient << ", value and gradient "
      << stats::flops_value_and_grad << "\n";
  return out.str();
}

// f's graph in Graphviz DOT: parameters as boxes, inputs as ellipses,
// constants as plain text, ops as rounded boxes; a node read more than once
// (shared) is drawn bold with its number of uses; edges run from an
// argument to its op.
template <expression F>
std::string to_dot(F) {
  using root = std::remove_cvref_t<F>;
  const auto rows = detail::node_rows<root>();
  std::ostringstream out;
  out << "digraph tapeless {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& r : rows) {
    std::string label, attributes;
    if (r.kind == "param") {
      label = r.name + "\\n" + r.shape;
      attributes = "shape=box, style=filled, fillcolor=\"#fde2b8\"";
    } else if (r.kind == "input") {
      label = r.name + "\\n" + r.shape;
      attributes = "shape=ellipse, style=filled, fillcolor=\"#cfe3f7\"";
    } else if (r.kind == "const") {
      label = r.name;
      attributes = "shape=plaintext";
    } else {
      std::string escaped;
      for (char c : r.kind) escaped += c == '"' ? std::string("\\\"") : std::string(1, c);
      label = escaped + "\\n" + r.shape;
      attributes = "shape=box, style=rounded";
    }
    if (r.uses > 1 && r.index + 1 < rows.size()) {
      label += "\\n(" + std::to_string(r.uses) + " uses)";
      attributes += ", penwidth=2.5";
    }
    out << "  n" << r.index << " [label=\"" << label << "\", " << attributes << "];\n";
  }
  for (const auto& r : rows)
    for (std::size_t a = 0; a < r.arg_count; ++a) out << "  n" << r.args[a] << " -> n" << r.index << ";\n";
  out << "}\n";
  return out.str();
}

}  // namespace tapeless
