#pragma once
// stack(a, b, ...): vectors of one length N as the rows of a matrix,
// mat<count, N>; 2 to 8 operands (max_op_args). Row-major storage makes it
// concat with another shape, so it runs concat's rules.
//   value  Y_ij = x_i,j
//   VJP    x̄_i,j += Ȳ_ij                 (Ȳ split into its rows)
//   JVP    Ẏ_ij += ẋ_i,j

#include <cstddef>
#include <type_traits>

#include <tapeless/ops/concat.hpp>
#include <tapeless/ops/family.hpp>

namespace tapeless {

struct stack_op : concat_op {
  template <class X0, class... X>
  using result_shape = mat<1 + sizeof...(X), X0::size>;
};

template <expression A, expression B, expression... Rest>
constexpr auto stack(A a, B b, Rest... rest) {
  using report = detail::report_shapes<A, B, Rest...>;
  constexpr bool count_ok = 2 + sizeof...(Rest) <= detail::max_op_args;
  constexpr bool vectors =
      detail::joinable<A, false>() && detail::joinable<B, false>() && (detail::joinable<Rest, false>() && ...);
  constexpr bool same_length = (invalid<A> || invalid<B> || (invalid<Rest> || ...)) ||
                               (std::is_same_v<typename A::shape, typename B::shape> &&
                                (std::is_same_v<typename A::shape, typename Rest::shape> && ...));
  if constexpr (!count_ok)
    static_assert(report::value,
                  "tapeless: stack(a, b, ...) takes at most 8 operands (max_op_args); for more rows, reshape "
                  "a concat of concats: reshape<mat<M, N>>(concat(concat(a, ...), concat(...)))");
  else if constexpr (!vectors || !same_length)
    static_assert(report::value, "tapeless: stack(a, b, ...) needs vectors of the same length");
  return detail::make_node<stack_op, count_ok && vectors && same_length>(a, b, rest...);
}

}  // namespace tapeless
