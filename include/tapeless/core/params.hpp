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
#include <string>
#include <string_view>
#include <type_traits>

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

// Element k of a leaf, as users index it: "fc1.W[3, 5]" (a scalar: its name).
inline std::string leaf_element_name(const leaf_info& leaf, std::size_t k) {
  std::string out(leaf.name);
  if (leaf.rank == 1) out += "[" + std::to_string(k) + "]";
  if (leaf.rank == 2) out += "[" + std::to_string(k / leaf.dims[1]) + ", " + std::to_string(k % leaf.dims[1]) + "]";
  if (leaf.rank == 3) {
    const std::size_t plane = leaf.dims[1] * leaf.dims[2];
    out += "[" + std::to_string(k / plane) + ", " + std::to_string(k % plane / leaf.dims[2]) + ", " +
           std::to_string(k % leaf.dims[2]) + "]";
  }
  return out;
}

template <class Shape>
constexpr std::array<std::size_t, 3> dims_of() {
  if constexpr (Shape::rank == 0)
    return {1, 1, 1};
  else if constexpr (Shape::rank == 1)
    return {Shape::size, 1, 1};
  else if constexpr (Shape::rank == 2)
    return {Shape::rows, Shape::cols, 1};
  else
    return {Shape::dims[0], Shape::dims[1], Shape::dims[2]};
}

// ---- named entries -------------------------------------------------------
//
// What users see of a buffer: one named, shaped entry per leaf, except that
// a parameter stack (a repeat's N blocks, core/expr.hpp) shows N times its
// body's entries, named "<stack name><block index>.<body entry name>" (no
// second dot when the body's name starts with one: a body layer named ""
// gives "block3.W"). Stacks nest ("stage1.block3.W").

template <class L>
struct entry_count {
  static constexpr std::size_t value = 1;
};
template <class Leaves>
struct entries_of;
template <class... L>
struct entries_of<type_list<L...>> {
  static constexpr std::array<std::size_t, sizeof...(L) + 1> first = prefix_sums(std::array<std::size_t, sizeof...(L)>{
      entry_count<L>::value...});
  static constexpr std::size_t count = first[sizeof...(L)];
};
template <class Name, std::size_t N, class B, std::size_t Size>
struct entry_count<param_stack_t<Name, N, B, Size>> {
  static constexpr std::size_t value = N * entries_of<B>::count;
};

// A name under construction, in constant evaluation.
struct entry_name {
  static constexpr std::size_t capacity = 512;
  std::array<char, capacity> chars{};
  std::size_t size = 0;

  constexpr void append(std::string_view text) {
    for (char c : text) chars[size++] = c;
  }
  constexpr void append_index(std::size_t i) {
    std::size_t digits = 1;
    for (std::size_t r = i; r >= 10; r /= 10) ++digits;
    for (std::size_t d = 0, r = i; d < digits; ++d, r /= 10) chars[size + digits - 1 - d] = char('0' + r % 10);
    size += digits;
  }
  // prefix, then name, with a dot between them unless name starts with one.
  constexpr void append_part(std::string_view name) {
    if (size > 0 && !(name.size() > 0 && name[0] == '.')) append(".");
    append(name);
  }
  constexpr std::string_view view() const { return {chars.data(), size}; }
};

// Calls f(name, info) for every entry of Leaves, in buffer order, under
// `prefix` and at buffer offset `base`.
template <class Leaves, class F>
constexpr void visit_entries(const entry_name& prefix, std::size_t base, F& f);
template <class L, class F>
constexpr void visit_entry(const entry_name& prefix, std::size_t offset, F& f) {
  if constexpr (is_param_stack<L>::value) {
    for (std::size_t i = 0; i < L::blocks; ++i) {
      entry_name block = prefix;
      block.append_part(L::name::view());
      block.append_index(i);
      visit_entries<typename L::body_params>(block, offset + i * L::block_size, f);
    }
  } else {
    entry_name name = prefix;
    name.append_part(L::name::view());
    f(name, leaf_info{{}, offset, L::shape::size, L::shape::rank, dims_of<typename L::shape>()});
  }
}
template <class Leaves, class F>
constexpr void visit_entries(const entry_name& prefix, std::size_t base, F& f) {
  [&]<class... L, std::size_t... K>(type_list<L...>, std::index_sequence<K...>) {
    constexpr std::array<std::size_t, sizeof...(L) + 1> offsets =
        prefix_sums(std::array<std::size_t, sizeof...(L)>{L::shape::size...});
    (visit_entry<L>(prefix, base + offsets[K], f), ...);
  }(Leaves{}, std::make_index_sequence<Leaves::size>{});
}

// Every entry's name, packed, and its leaf_info pointing into them.
template <class Leaves>
struct entry_table {
  static constexpr std::size_t count = entries_of<Leaves>::count;
  static constexpr std::size_t chars = [] {
    std::size_t total = 0;
    auto f = [&](const entry_name& name, const leaf_info&) { total += name.size; };
    visit_entries<Leaves>(entry_name{}, 0, f);
    return total;
  }();
  struct packed {
    std::array<char, chars + 1> names{};
    std::array<std::size_t, count + 1> begin{};
    std::array<leaf_info, count> infos{};
  };
  static constexpr packed data = [] {
    packed out;
    std::size_t e = 0, at = 0;
    auto f = [&](const entry_name& name, const leaf_info& info) {
      for (std::size_t c = 0; c < name.size; ++c) out.names[at + c] = name.chars[c];
      out.begin[e] = at;
      out.infos[e++] = info;
      at += name.size;
    };
    visit_entries<Leaves>(entry_name{}, 0, f);
    out.begin[count] = at;
    return out;
  }();
  static constexpr std::array<leaf_info, count> infos = [] {
    std::array<leaf_info, count> out = data.infos;
    for (std::size_t e = 0; e < count; ++e)
      out[e].name = std::string_view(data.names.data() + data.begin[e], data.begin[e + 1] - data.begin[e]);
    return out;
  }();
  // The entry called `name`, or count.
  static constexpr std::size_t find(std::string_view name) {
    for (std::size_t e = 0; e < count; ++e)
      if (infos[e].name == name) return e;
    return count;
  }
};

// The parameter leaf (never a stack) behind entry J of Leaves.
template <class Leaves, std::size_t J>
struct entry_leaf;
template <class L, std::size_t J>
struct entry_leaf_in {
  using type = L;
};
template <class Name, std::size_t N, class B, std::size_t Size, std::size_t J>
struct entry_leaf_in<param_stack_t<Name, N, B, Size>, J> {
  using type = typename entry_leaf<B, J % entries_of<B>::count>::type;
};
template <class... L, std::size_t J>
struct entry_leaf<type_list<L...>, J> {
  static constexpr std::size_t k = [] {
    std::size_t i = 0;
    while (entries_of<type_list<L...>>::first[i + 1] <= J) ++i;
    return i;
  }();
  using type = typename entry_leaf_in<type_at<k, type_list<L...>>, J - entries_of<type_list<L...>>::first[k]>::type;
};

template <class Leaves>
struct leaf_layout;
template <class... L>
struct leaf_layout<type_list<L...>> {
  static constexpr std::size_t count = sizeof...(L);
  static constexpr std::array<std::size_t, count + 1> offsets =
      prefix_sums(std::array<std::size_t, count>{L::shape::size...});
  static constexpr std::size_t size = offsets[count];
};

// A flat buffer with one region per leaf of `Leaves`.
template <class Leaves, std::floating_point E>
class leaf_buffer {
  using layout = leaf_layout<Leaves>;

 public:
  using leaves = Leaves;
  using element_type = E;

  static constexpr std::size_t size() noexcept { return layout::size; }
  // Named entries: one per parameter, a repeat's per block (see entry_table).
  static constexpr std::size_t leaf_count() noexcept { return entries_of<Leaves>::count; }
  // Name, offset and shape of every named entry, in buffer order.
  static constexpr const std::array<leaf_info, entries_of<Leaves>::count>& layout_info() noexcept {
    return entry_table<Leaves>::infos;
  }

  template <class Leaf>
  static constexpr bool holds = list_contains<Leaf, Leaves>;

  template <class Leaf>
  static constexpr std::size_t offset_of() noexcept {
    return layout::offsets[index_of<Leaf, Leaves>::value];
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

  // Calls f(name, view) for every named entry in buffer order: name is a
  // std::string_view, view a tensor_view of the entry's shape.
  template <class F>
  void for_each(F&& f) {
    visit_views<Leaves>(storage_.data(), 0, f);
  }
  template <class F>
  void for_each(F&& f) const {
    visit_views<Leaves>(storage_.data(), 0, f);
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
  //
  // A repeat's block parameters are found by their entry names
  // (`P.get<"block3.W">()`); the whole stack by the repeat's name.
  template <fixed_string Name>
  decltype(auto) get() & noexcept {
    return get_impl<entry_named<Name>>(*this);
  }
  template <fixed_string Name>
  decltype(auto) get() const& noexcept {
    return get_impl<entry_named<Name>>(*this);
  }
  template <fixed_string Name>
  auto get() && noexcept {
    using entry = entry_named<Name>;
    using shape = typename entry::shape;
    if constexpr (!entry::found) {
      return 0;
    } else if constexpr (shape::rank == 0) {
      return storage_[entry::offset];
    } else {
      tensor<E, shape> out;
      for (std::size_t k = 0; k < shape::size; ++k) out[k] = storage_[entry::offset + k];
      return out;
    }
  }

  friend bool operator==(const leaf_buffer&, const leaf_buffer&) = default;

 private:
  // A leaf of the graph by name, else a named entry of a stack.
  template <fixed_string Name, class Named = filter_t<Leaves, named<name_of<Name>>::template is>>
  struct entry_named_impl {
    static constexpr std::size_t index = entry_table<Leaves>::find(Name.view());
    static constexpr bool found = index < entry_table<Leaves>::count;
    static_assert(found || no_leaf_named<name_of<Name>>::value,
                  "tapeless: get<name>(): this buffer has no leaf of that name (the name is the template argument "
                  "above)");
    using leaf = typename std::conditional_t<found, entry_leaf<Leaves, (found ? index : 0)>,
                                             std::type_identity<param_t<name_of<Name>, scalar>>>::type;
    using shape = typename leaf::shape;
    static constexpr std::size_t offset = found ? entry_table<Leaves>::infos[index].offset : 0;
  };
  template <fixed_string Name, class Leaf>
  struct entry_named_impl<Name, type_list<Leaf>> {
    static constexpr bool found = true;
    using shape = typename Leaf::shape;
    static constexpr std::size_t offset = offset_of<Leaf>();
  };
  template <fixed_string Name>
  using entry_named = entry_named_impl<Name>;

  template <class Entry, class Self>
  static decltype(auto) get_impl(Self& self) noexcept {
    using shape = typename Entry::shape;
    using element = std::remove_reference_t<decltype(self.storage_[0])>;
    if constexpr (!Entry::found)
      return 0;
    else if constexpr (shape::rank == 0)
      return (self.storage_[Entry::offset]);
    else
      return tensor_view<element, shape>(self.storage_.data() + Entry::offset);
  }

  // for_each's walk: a stack's blocks in a run-time loop, so that the code
  // instantiated does not grow with the number of blocks.
  template <class List, class Data, class F>
  static void visit_views(Data* data, std::size_t first_entry, F& f) {
    [&]<class... L, std::size_t... K>(type_list<L...>, std::index_sequence<K...>) {
      constexpr auto& offsets = leaf_layout<List>::offsets;
      constexpr auto& firsts = entries_of<List>::first;
      (
          [&] {
            if constexpr (is_param_stack<L>::value) {
              for (std::size_t i = 0; i < L::blocks; ++i)
                visit_views<typename L::body_params>(data + offsets[K] + i * L::block_size,
                                                     first_entry + firsts[K] + i * entries_of<typename L::body_params>::count,
                                                     f);
            } else {
              f(layout_info()[first_entry + firsts[K]].name, tensor_view<Data, typename L::shape>(data + offsets[K]));
            }
          }(),
          ...);
    }(List{}, std::make_index_sequence<List::size>{});
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
