#pragma once
// One flat, aligned buffer for the parameters of a graph.
//
// Every parameter has a compile-time offset (the order in which the graph
// first uses it) and a named, shaped view: `P.get<"W1">()(0, 1)`. Gradients
// have exactly the same layout and type, so optimizers, serialization and
// gradient checks are loops over one span. The same buffer type, over a
// graph's inputs, holds gradients with respect to inputs.

#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/core/type_list.hpp>

namespace tapeless {

// Where one leaf lives in a flat buffer, for code that walks all of them.
struct leaf_info {
  std::string_view name;
  std::size_t offset;
  std::size_t size;
  std::size_t rank;
  std::array<std::size_t, 3> dims;  // unused trailing dims are 1
};

namespace detail {

template <std::size_t N>
constexpr std::array<leaf_info, N> with_offsets(std::array<leaf_info, N> infos,
                                                const std::array<std::size_t, N + 1>& offsets) {
  for (std::size_t i = 0; i < N; ++i) infos[i].offset = offsets[i];
  return infos;
}

template <class Leaves>
struct leaf_layout;
template <class... L>
struct leaf_layout<type_list<L...>> {
  static constexpr std::size_t count = sizeof...(L);
  static constexpr std::array<std::size_t, count + 1> offsets =
      prefix_sums(std::array<std::size_t, count>{L::shape::size...});
  static constexpr std::size_t size = offsets[count];

  template <class Shape>
  static constexpr std::array<std::size_t, 3> dims_of() {
    if constexpr (Shape::rank == 0)
      return {1, 1, 1};
    else if constexpr (Shape::rank == 1)
      return {Shape::size, 1, 1};
    else if constexpr (Shape::rank == 2)
      return {Shape::rows, Shape::cols, 1};
    else
      return {Shape::dims[0], Shape::dims[1], Shape::dims[2]};
  }

  static constexpr std::array<leaf_info, count> infos = with_offsets(
      std::array<leaf_info, count>{leaf_info{L::name::view(), 0, L::shape::size, L::shape::rank,
                                             dims_of<typename L::shape>()}...},
      offsets);
};

// A flat buffer with one region per leaf of `Leaves`.
template <class Leaves, std::floating_point E>
class leaf_buffer {
  using layout = leaf_layout<Leaves>;

 public:
  using leaves = Leaves;
  using element_type = E;

  static constexpr std::size_t size() noexcept { return layout::size; }
  static constexpr std::size_t leaf_count() noexcept { return layout::count; }
  // Name, offset and shape of every leaf, in buffer order.
  static constexpr const std::array<leaf_info, layout::count>& layout_info() noexcept { return layout::infos; }

  template <class Leaf>
  static constexpr bool holds = list_contains<Leaf, Leaves>;

  template <class Leaf>
  static constexpr std::size_t offset_of() noexcept {
    return layout::offsets[index_of<Leaf, Leaves>];
  }

  E* data() noexcept { return storage_.data(); }
  const E* data() const noexcept { return storage_.data(); }
  std::span<E, layout::size> span() noexcept { return std::span<E, layout::size>(storage_.data(), layout::size); }
  std::span<const E, layout::size> span() const noexcept {
    return std::span<const E, layout::size>(storage_.data(), layout::size);
  }
  E* begin() noexcept { return storage_.data(); }
  E* end() noexcept { return storage_.data() + layout::size; }
  const E* begin() const noexcept { return storage_.data(); }
  const E* end() const noexcept { return storage_.data() + layout::size; }

  void fill(E v) noexcept { storage_.fill(v); }

  // Calls f(name, view) for every leaf in buffer order: name is a
  // std::string_view, view a tensor_view of the leaf's shape.
  template <class F>
  void for_each(F&& f) {
    boost::hana::for_each(leaf_types(), [&](auto t) {
      using leaf = typename decltype(t)::type;
      f(leaf::name::view(), view<leaf>());
    });
  }
  template <class F>
  void for_each(F&& f) const {
    boost::hana::for_each(leaf_types(), [&](auto t) {
      using leaf = typename decltype(t)::type;
      f(leaf::name::view(), view<leaf>());
    });
  }

  // The region of one leaf, by leaf type.
  template <class Leaf>
  tensor_view<E, typename Leaf::shape> view() & noexcept {
    return tensor_view<E, typename Leaf::shape>(storage_.data() + offset_of<Leaf>());
  }
  template <class Leaf>
  tensor_view<const E, typename Leaf::shape> view() const& noexcept {
    return tensor_view<const E, typename Leaf::shape>(storage_.data() + offset_of<Leaf>());
  }
  template <class Leaf>
  void view() && = delete;  // a view into a temporary buffer would dangle

  // The region of one leaf, by name: a reference for a scalar, a view
  // otherwise. A name the buffer does not have is a compile-time error. On
  // a temporary buffer (`value_and_grad(...).grad.get<"W">()`) the result
  // is a copy (a number or a tensor), never a view into the dying buffer.
  template <fixed_string Name>
  decltype(auto) get() & noexcept {
    return get_impl<typename leaf_named<Leaves, name_of<Name>>::type>(*this);
  }
  template <fixed_string Name>
  decltype(auto) get() const& noexcept {
    return get_impl<typename leaf_named<Leaves, name_of<Name>>::type>(*this);
  }
  template <fixed_string Name>
  auto get() && noexcept {
    using leaf = typename leaf_named<Leaves, name_of<Name>>::type;
    if constexpr (std::is_void_v<leaf>) {
      return 0;
    } else if constexpr (leaf::shape::rank == 0) {
      return storage_[offset_of<leaf>()];
    } else {
      tensor<E, typename leaf::shape> out;
      for (std::size_t k = 0; k < leaf::shape::size; ++k) out[k] = storage_[offset_of<leaf>() + k];
      return out;
    }
  }

  friend bool operator==(const leaf_buffer&, const leaf_buffer&) = default;

 private:
  static constexpr auto leaf_types() {
    return []<class... L>(type_list<L...>) { return boost::hana::tuple_t<L...>; }(Leaves{});
  }

  template <class Leaf, class Self>
  static decltype(auto) get_impl(Self& self) noexcept {
    if constexpr (std::is_void_v<Leaf>)
      return 0;
    else if constexpr (Leaf::shape::rank == 0)
      return (self.storage_[offset_of<Leaf>()]);
    else
      return self.template view<Leaf>();
  }

  alignas(64) std::array<E, layout::size> storage_{};
};

template <class B>
struct is_leaf_buffer : std::false_type {};
template <class L, class E>
struct is_leaf_buffer<leaf_buffer<L, E>> : std::true_type {};
}  // namespace detail

// The parameters of expression Expr, stored as E: `params<decltype(loss)> P;`.
// The buffer type depends only on the list of parameters, so a network and
// a loss built on it share one parameter (and gradient) type.
template <class Expr, std::floating_point E = double>
using params = detail::leaf_buffer<typename graph<Expr>::params, E>;

// One value per scalar of Expr's inputs: the gradient with respect to inputs.
template <class Expr, std::floating_point E = double>
using input_values = detail::leaf_buffer<typename graph<Expr>::inputs, E>;

// Anything laid out as a leaf_buffer (params, gradients, input gradients).
template <class B>
concept leaf_storage = detail::is_leaf_buffer<std::remove_cvref_t<B>>::value;

template <class Expr, std::floating_point E = double>
params<Expr, E> make_params(Expr) {
  return {};
}

}  // namespace tapeless
