#pragma once
// -x, elementwise.
//   value  y = -x
//   VJP    x̄ -= ȳ
//   JVP    ẏ = -ẋ

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct neg_op : unary_elementwise {
  static auto value(const auto& x) { return -x; }
  static auto vjp(const auto&, const auto&, const auto& ybar) { return -ybar; }
  static auto jvp(const auto&, const auto&, const auto& xdot) { return -xdot; }
};

template <expression X>
constexpr auto operator-(X x) {
  if constexpr (constant_expression<X>)
    return constant<-detail::single_leaf<X>::type::value::num, detail::single_leaf<X>::type::value::den>;
  else
    return detail::make_node<neg_op>(x);
}

}  // namespace tapeless
