// Two different nodes whose structural hashes are equal (forced here by
// giving input b the hash of input a) are refused when their graphs are
// merged, not merged into one node. Merges of more than four nodes go
// through hashes (smaller ones compare nodes exactly), so each operand
// here has five.
// expect: tapeless: two different nodes have the same 128-bit structural hash
// expect-errors: 1
#include <tapeless/core.hpp>
using namespace tapeless;
template <>
struct tapeless::detail::node_traits<input_t<name<'b'>, scalar>> {
  static constexpr hash128 kind = kind_hash<input_t<name<'a'>, scalar>>;
  static constexpr node_args args{};
};
constexpr auto a = input<"a", scalar>;
constexpr auto b = input<"b", scalar>;
constexpr auto bad = a * a * a * a * a + b * b * b * b * b;
