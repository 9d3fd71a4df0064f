#pragma once
// Checking value_and_grad against central finite differences.
//
//   auto report = gradcheck(loss, P, bind<"x">(x), bind<"y">(y));
//   if (!report.ok(1e-6)) std::cerr << report << '\n';
//
// Every parameter and every input is perturbed in turn by ±h, and the
// difference quotient (f(θ + h) - f(θ - h)) / 2h is compared with the
// analytic partial derivative. The error of one entry is
//   |analytic - numeric| / max(1, |analytic|, |numeric|),
// relative for large derivatives and absolute for small ones, so an entry
// that is zero in both does not divide by zero. The report gives the worst
// entry, where it is, and both values.
//
// At a kink (relu at 0, |x| at 0, a tie in max) a central difference sees
// the average of the one-sided slopes, not the subgradient the op
// documents: check kinks against their documented values, not with this.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <tapeless/core/graph.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/bind.hpp>

namespace tapeless {

struct gradcheck_options {
  // Step h for an entry of value x is step * max(1, |x|); 0 picks the cube
  // root of the element type's epsilon, which balances truncation error
  // (∝ h²) against rounding error (∝ ε / h).
  double step = 0;
  // Also check the gradient with respect to every input.
  bool inputs = true;
};

struct gradcheck_report {
  double worst_error = 0;
  std::string where;  // "W1[1, 0]", "input x[0]", ... ; empty if nothing was checked
  double analytic = 0;
  double numeric = 0;
  std::size_t checked = 0;  // number of entries compared

  bool ok(double tolerance) const { return worst_error <= tolerance && !std::isnan(worst_error); }

  friend std::ostream& operator<<(std::ostream& os, const gradcheck_report& r) {
    return os << "gradcheck: " << r.checked << " entries, worst error " << r.worst_error << " at " << r.where
              << " (analytic " << r.analytic << ", numeric " << r.numeric << ")";
  }
};

namespace detail {

// Keeps the worst entry; a NaN error is the worst and stays reported.
inline void record(gradcheck_report& r, double analytic, double numeric, std::string where) {
  const double error = std::abs(analytic - numeric) / std::max({1.0, std::abs(analytic), std::abs(numeric)});
  const bool worse =
      r.checked == 0 || std::isnan(error) || (!std::isnan(r.worst_error) && error > r.worst_error);
  ++r.checked;
  if (worse) {
    r.worst_error = error;
    r.where = std::move(where);
    r.analytic = analytic;
    r.numeric = numeric;
  }
}

// Evaluates Root with every input bound to its region of `inputs`.
template <class Root, class ParamSet, class Inputs>
auto value_at(const ParamSet& P, const Inputs& inputs) {
  return [&]<class... I>(type_list<I...>) {
    using E = typename ParamSet::element_type;
    return value(Root{}, P, binding<typename I::name, tensor_view<const E, typename I::shape>>{inputs.template view<I>()}...);
  }(typename graph<Root>::inputs{});
}

// Central differences of `f` along every entry of `buffer`, compared with
// `analytic`, which has the buffer's layout.
template <class Buffer, class F>
void compare_entries(gradcheck_report& report, Buffer& buffer, const Buffer& analytic, double step,
                     std::string_view prefix, F&& f) {
  for (const leaf_info& leaf : Buffer::layout_info()) {
    for (std::size_t k = 0; k < leaf.size; ++k) {
      auto& x = buffer.data()[leaf.offset + k];
      const auto saved = x;
      const double h = step * std::max(1.0, std::abs(double(saved)));
      using E = std::remove_reference_t<decltype(x)>;
      x = E(double(saved) + h);
      const double up = double(f());
      x = E(double(saved) - h);
      const double down = double(f());
      x = saved;
      record(report, double(analytic.data()[leaf.offset + k]), (up - down) / (2 * h),
             std::string(prefix) + leaf_element_name(leaf, k));
    }
  }
}

}  // namespace detail

template <expression Root, detail::param_buffer ParamSet, detail::value_binding... B>
gradcheck_report gradcheck(Root, const ParamSet& P, gradcheck_options options, const B&... bindings) {
  using E = typename ParamSet::element_type;
  static_assert(Root::shape::rank == 0, "tapeless: gradcheck needs a scalar expression");
  gradcheck_report report;
  if constexpr (!invalid<Root> && detail::reverse_call_fits<Root, ParamSet, B...>()) {
    // Copies of the inputs, so they can be perturbed.
    input_values<Root, E> inputs;
    detail::for_each_type(typename graph<Root>::inputs{}, [&]<class I>() {
      auto& b = std::get<detail::binding_index<detail::is_binding, I, B...>()>(std::forward_as_tuple(bindings...));
      detail::check_binding_size<I>(b.data);
      detail::copy_flat(b.data, inputs.template view<I>().data());
    });

    const double step =
        options.step > 0 ? options.step : std::cbrt(double(std::numeric_limits<E>::epsilon()));
    const auto analytic = [&]<class... I>(detail::type_list<I...>) {
      return value_and_grad(Root{}, P, wrt_inputs,
                            binding<typename I::name, tensor_view<const E, typename I::shape>>{
                                inputs.template view<I>()}...);
    }(typename graph<Root>::inputs{});

    ParamSet perturbed = P;
    detail::compare_entries(report, perturbed, analytic.grad, step, "",
                            [&] { return detail::value_at<Root>(perturbed, inputs); });
    if (options.inputs)
      detail::compare_entries(report, inputs, analytic.input_grad, step, "input ",
                              [&] { return detail::value_at<Root>(P, inputs); });
  }
  return report;
}

template <expression Root, detail::param_buffer ParamSet, detail::value_binding... B>
gradcheck_report gradcheck(Root root, const ParamSet& P, const B&... bindings) {
  return gradcheck(root, P, gradcheck_options{}, bindings...);
}

}  // namespace tapeless
