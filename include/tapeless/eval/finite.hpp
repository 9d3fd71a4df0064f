#pragma once
// The non-finite check: pass `check_finite` among the bindings of a call
// and the first NaN or infinity is reported as a numeric_error
// (core/error.hpp) instead of flowing on silently.
//
//   auto [L, G] = value_and_grad(loss, P, check_finite, bind<"x">(x), bind<"y">(y));
//   engine->value_and_grad_into(P, G, n, mean_over_batch, check_finite, bind<"x">(aos(xs)), ...);
//
// After the forward sweep every node's values are tested in the order of
// the graph's node list (leaves and ops, arguments before uses), so the
// first node reported is the first whose value went bad; its message names
// the op (or "input 'x'", "parameter 'fc1.W'") and the position:
//
//   tapeless: non-finite value inf at node 0 of 9 (input 'x', element 3), sample 17
//
// Then the parameter gradient is tested, parameter by parameter (a batch
// call tests the running sums after each chunk of samples, and names the
// chunk's samples). Without `check_finite` nothing of this is compiled in:
// the option is a type, and the sweeps are the same code as before.

#include <array>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tapeless/core/error.hpp>
#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/type_list.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/sweep.hpp>

namespace tapeless {

// Asks a call to test every value and gradient for NaN and infinity.
struct check_finite_t {};
inline constexpr check_finite_t check_finite{};

namespace detail {

template <class... A>
inline constexpr bool wants_check_finite = (std::is_same_v<std::remove_cvref_t<A>, check_finite_t> || ...);

// What the one-sample entry points accept after the parameter buffer: value
// bindings and the check_finite option.
template <class A>
concept call_arg =
    is_binding<std::remove_cvref_t<A>>::value || std::is_same_v<std::remove_cvref_t<A>, check_finite_t>;

// The op's name from its type: "add", "matvec", "leaky_relu<...>".
template <class T>
constexpr std::string_view raw_type_name() {
  return __PRETTY_FUNCTION__;
}

template <class Op>
std::string op_label() {
  std::string_view p = raw_type_name<Op>();
  const std::size_t at = p.find("T = ");
  if (at == std::string_view::npos) return "op";
  p.remove_prefix(at + 4);
  const std::size_t semicolon = p.find(';');
  p = p.substr(0, semicolon != std::string_view::npos ? semicolon : p.rfind(']'));
  std::string s(p);
  for (std::string_view drop : {std::string_view("tapeless::"), std::string_view("detail::")})
    for (std::size_t k; (k = s.find(drop)) != std::string::npos;) s.erase(k, drop.size());
  if (const std::size_t k = s.find("_op<"); k != std::string::npos)
    s.erase(k, 3);
  else if (s.size() > 3 && s.compare(s.size() - 3, 3, "_op") == 0)
    s.erase(s.size() - 3);
  return s;
}

inline std::string number_string(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

struct bad_lane {
  std::size_t lane = static_cast<std::size_t>(-1);
  double value = 0;
  explicit operator bool() const { return lane != static_cast<std::size_t>(-1); }
};

// Whether any lane of x holds a NaN or an infinity: x - x is 0 for a
// finite number and NaN otherwise, so a lane pack's registers are tested
// with a subtraction each and one comparison, without a store. isnan, not
// d != d: xsimd 8.1's != on AVX and AVX-512 is an ordered comparison,
// false for NaN.
template <class V>
bool any_non_finite(const V& x) {
  if constexpr (requires { V::lanes; x.part[0]; }) {
    auto d = x.part[0] - x.part[0];
    for (std::size_t k = 1; k < V::parts; ++k) d += x.part[k] - x.part[k];
    return any(isnan(d));  // xsimd::any and xsimd::isnan, found through the batch
  } else {
    return !std::isfinite(x);
  }
}

// The first lane below `valid` holding a NaN or infinity: a plain number
// is one lane, a lane pack has many.
template <class V>
bad_lane first_bad(const V& x, std::size_t valid) {
  if constexpr (requires { V::lanes; x.part[0]; }) {
    using E = typename V::value_type;
    constexpr std::size_t width = V::part_type::size;
    alignas(64) std::array<E, V::lanes> lanes;
    for (std::size_t k = 0; k < V::parts; ++k) x.part[k].store_unaligned(lanes.data() + k * width);
    for (std::size_t l = 0; l < valid && l < V::lanes; ++l)
      if (!std::isfinite(lanes[l])) return {l, double(lanes[l])};
    return {};
  } else {
    (void)valid;
    if (!std::isfinite(x)) return {0, double(x)};
    return {};
  }
}

template <class N>
std::string node_label() {
  if constexpr (is_input<N>::value)
    return "input '" + std::string(N::name::view()) + "'";
  else if constexpr (param_leaf<N>)
    return "parameter '" + std::string(N::name::view()) + "'";
  else
    return "op " + op_label<typename N::op>();
}

// The sweeps call the tests below inline (the in-register batch schedule
// flattens its whole body, core/attributes.hpp), so each test is a branch
// on any_non_finite; finding the lane and building the message happen out
// of line, in a cold function per node that takes the number by value (the
// sweep's workspace does not escape). With the messages' std::string code
// flattened into the sweep, g++ 12 took 40 s at -O1 on a small
// fit_classifier, and over 20 minutes under -fsanitize=address,undefined
// (points-to analysis of its thousands of address-taken temporaries).

// Throws numeric_error for node K's element `element` when it holds a NaN
// or infinity in a lane below `valid` (x came here with one in some lane:
// in a partial batch, maybe only in the unused lanes).
template <class Root, std::size_t K, class V>
[[gnu::noinline, gnu::cold]] void report_non_finite_value(V x, std::size_t element, std::size_t valid,
                                                          std::size_t first) {
  using N = type_at<K, typename Root::nodes>;
  const bad_lane bad = first_bad(x, valid);
  if (!bad) return;
  const bool per_sample = first != numeric_error::npos && !param_leaf<N>;
  const std::size_t sample = per_sample ? first + bad.lane : numeric_error::npos;
  std::string what = "tapeless: non-finite value " + number_string(bad.value) + " at node " + std::to_string(K) +
                     " of " + std::to_string(Root::size) + " (" + node_label<N>();
  if (N::shape::size > 1) what += ", element " + std::to_string(element);
  what += ")";
  if (per_sample) what += ", sample " + std::to_string(sample);
  throw numeric_error(what, K, sample, false);
}

// Tests node K's values (lanes below `valid`; `first` is the batch's sample
// in lane 0, npos for one sample).
template <class Root, class ParamSet, std::size_t K, class A>
void check_node(const A& arrays, std::size_t valid, std::size_t first) {
  using N = type_at<K, typename Root::nodes>;
  if constexpr (!is_constant<N>::value) {
    const auto v = value_view(arrays, location_at<Root, ParamSet, K>{});
    for (std::size_t e = 0; e < N::shape::size; ++e)
      if (any_non_finite(v[e])) report_non_finite_value<Root, K>(v[e], e, valid, first);
  }
}

// Every node's values after a forward sweep, in list order.
template <class Root, class ParamSet, class A>
void check_forward_values(const A& arrays, std::size_t valid = 1, std::size_t first = numeric_error::npos) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (void)std::initializer_list<int>{(check_node<Root, ParamSet, K>(arrays, valid, first), 0)...};
  }(std::make_index_sequence<Root::size>{});
}

// Throws numeric_error for a parameter gradient g (a number or a lane pack
// holding a NaN or infinity; every lane counts).
template <class V>
[[noreturn, gnu::noinline, gnu::cold]] void report_non_finite_gradient(V g, std::string_view name, std::size_t size,
                                                                       std::size_t element, std::size_t first,
                                                                       std::size_t last) {
  const bad_lane bad = first_bad(g, static_cast<std::size_t>(-1));
  std::string what =
      "tapeless: non-finite gradient " + number_string(bad.value) + " for parameter '" + std::string(name) + "'";
  if (size > 1) what += " (element " + std::to_string(element) + ")";
  if (first != numeric_error::npos)
    what += ", in the samples " + std::to_string(first) + " to " + std::to_string(last);
  throw numeric_error(what, numeric_error::npos, first, true);
}

// Every parameter gradient: at(k) is entry k of ParamSet's layout (a
// number, a lane pack or an accumulator with total()). [first, last] are
// the chunk's samples of a batch call (first is npos for one sample).
template <class ParamSet, class At>
void check_param_gradient(At at, std::size_t first = numeric_error::npos, std::size_t last = 0) {
  for (const auto& leaf : ParamSet::layout_info())
    for (std::size_t e = 0; e < leaf.size; ++e) {
      const auto& g = at(leaf.offset + e);
      if constexpr (requires { g.total(); }) {
        const auto total = g.total();
        if (any_non_finite(total)) report_non_finite_gradient(total, leaf.name, leaf.size, e, first, last);
      } else {
        if (any_non_finite(g)) report_non_finite_gradient(g, leaf.name, leaf.size, e, first, last);
      }
    }
}

}  // namespace detail
}  // namespace tapeless
