#pragma once
// pick(z, y): the entry of the vector z at the class label y (an input
// declared input<"y", class_index<C>>, C = z's size), a scalar.
//   value  v = z_y
//   VJP    z̄_k += [k = y] v̄;  none to y (a label is an integer: no
//          derivative)
//   JVP    v̇ = ż_y
// The entry is chosen by comparing y with every index, so the rule is the
// same on every number type (one label per SIMD lane in a batch) and a
// label that is not an index picks nothing out of range: labels are
// checked where data is bound (tapeless::label_error), a label computed
// in the graph is not checked and picks z_0 when it matches no index.

#include <cstddef>

#include <tapeless/ops/family.hpp>

namespace tapeless {

struct pick_op : structural {
  template <class Z, class L>
  using result_shape = scalar;

  // The number type the comparison and the result are done in.
  template <class A, class L>
  using common_t = detail::common_number_t<detail::number_of<A>, detail::number_of<L>>;

  // Σ_k [label = k] entry(k), as selects.
  template <class N, std::size_t C, class Entry>
  static N at_label(const N& label, Entry entry) {
    using E = typename detail::element_of<N>::type;
    N r = entry(0);
    for (std::size_t k = 1; k < C; ++k) r = math::select(label == N(E(k)), entry(k), r);
    return r;
  }

  template <class V, class Z, class L>
  static void value(V v, Z z, L label) {
    using N = common_t<Z, L>;
    v[0] = at_label<N, Z::size()>(N(label[0]), [&](std::size_t k) { return N(z[k]); });
  }

  template <class ZBar, class VBar, class Z, class L, class V>
  static void vjp(arg_t<0>, ZBar zbar, VBar vbar, Z, L label, V) {
    using N = common_t<VBar, L>;
    const N l = N(label[0]), g = N(vbar[0]), zero = detail::zero_like(g);
    using E = typename detail::element_of<N>::type;
    for (std::size_t k = 0; k < Z::size(); ++k) zbar[k] += math::select(l == N(E(k)), g, zero);
  }
  template <class LBar, class VBar, class Z, class L, class V>
  static void vjp(arg_t<1>, LBar, VBar, Z, L, V) {}

  template <class VDot, class ZDot, class Z, class L, class V>
  static void jvp(arg_t<0>, VDot vdot, ZDot zdot, Z, L label, V) {
    using N = common_t<ZDot, L>;
    vdot[0] += at_label<N, Z::size()>(N(label[0]), [&](std::size_t k) { return N(zdot[k]); });
  }
  template <class VDot, class LDot, class Z, class L, class V>
  static void jvp(arg_t<1>, VDot, LDot, Z, L, V) {}
};

template <expression Z, expression L>
constexpr auto pick(Z z, L label) {
  constexpr bool ok = invalid<Z> || invalid<L> ||
                      (Z::shape::rank == 1 && detail::is_class_index<typename L::shape>::value &&
                       L::shape::classes == Z::shape::size);
  if constexpr (!ok)
    static_assert(detail::report_shapes<Z, L>::value,
                  "tapeless: pick(z, y) needs a vector z and a class label y declared input<name, class_index<C>>, with C the "
                  "vector's size");
  return detail::make_node<pick_op, ok>(z, label);
}

}  // namespace tapeless
