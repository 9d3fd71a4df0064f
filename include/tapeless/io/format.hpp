#pragma once
// The parameter file format, version 1. Every integer is unsigned and
// little-endian, written byte by byte, so a file reads the same on any host.
//
//   offset  size  field
//   0       8     magic "TAPELESS" (54 41 50 45 4C 45 53 53)
//   8       4     format version, 1
//   12      4     element type: 1 = float32 (IEEE-754 binary32), 2 = float64
//   16      8     file length in bytes, checksum included
//   24      8     number of parameters N
//   32            N entries, in buffer order:
//                   4  name length L, then L name bytes (no terminator)
//                   4  rank R (0 scalar, 1 vec, 2 mat, 3 image), then R dims of 8 bytes
//                 payload: every value of the buffer in buffer order, each as
//                   the 4 or 8 bytes of its IEEE-754 bit pattern
//   length-4 4    CRC-32 (zlib's) of every byte before it
//
// docs/io.md has the same table and the list of errors.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <tapeless/io/file_error.hpp>

namespace tapeless::detail::params_file {

inline constexpr std::array<unsigned char, 8> magic{'T', 'A', 'P', 'E', 'L', 'E', 'S', 'S'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::uint32_t float32_code = 1;
inline constexpr std::uint32_t float64_code = 2;
inline constexpr std::size_t length_offset = 16;
inline constexpr std::size_t header_size = 32;  // magic, version, element type, length, count
inline constexpr std::size_t checksum_size = 4;

// The exact length of the file of a buffer of type P, known at compile time:
// load compares the length field with it before it reads any further.
template <class P>
constexpr std::uint64_t file_size() noexcept {
  std::uint64_t n = header_size + checksum_size;
  for (const auto& leaf : P::layout_info()) n += 4 + leaf.name.size() + 4 + 8 * leaf.rank;
  return n + std::uint64_t{P::size()} * sizeof(typename P::element_type);
}

// float and double, when they are IEEE-754 binary32 and binary64.
template <class E>
inline constexpr bool storable = std::numeric_limits<E>::is_iec559 &&
                                 (std::is_same_v<E, float> || std::is_same_v<E, double>);

// The unsigned integer of E's width, for moving bit patterns exactly.
template <class E>
using bits_of = std::conditional_t<sizeof(E) == 4, std::uint32_t, std::uint64_t>;

template <class E>
constexpr std::uint32_t element_code() noexcept {
  return sizeof(E) == 4 ? float32_code : float64_code;
}

inline std::string element_name(std::uint32_t code) {
  if (code == float32_code) return "float32";
  if (code == float64_code) return "float64";
  return "an unknown element type (code " + std::to_string(code) + ")";
}

// How the user writes the shape: scalar, vec<3>, mat<2, 3>, image<1, 8, 8>.
inline std::string shape_text(std::uint64_t rank, const std::uint64_t* dims) {
  if (rank == 0) return "scalar";
  if (rank == 1) return "vec<" + std::to_string(dims[0]) + ">";
  if (rank == 2) return "mat<" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ">";
  return "image<" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " + std::to_string(dims[2]) + ">";
}

inline std::string os_error_text(int error) {
  return error != 0 ? std::generic_category().message(error) : std::string("unknown error");
}

inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// Appends little-endian fields to a byte image.
struct writer {
  std::vector<unsigned char> bytes;

  template <std::unsigned_integral U>
  void put(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  void put(std::string_view s) { bytes.insert(bytes.end(), s.begin(), s.end()); }
  void put(std::span<const unsigned char> s) { bytes.insert(bytes.end(), s.begin(), s.end()); }
  template <std::unsigned_integral U>
  void put_at(std::size_t pos, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) bytes[pos + i] = static_cast<unsigned char>(v >> (8 * i));
  }
};

template <std::unsigned_integral U>
U get_le(const unsigned char* p) noexcept {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(p[i]) << (8 * i);
  return v;
}

// Reads little-endian fields from a byte image; running past its end is a
// `corrupted` error naming the field.
class reader {
 public:
  reader(std::span<const unsigned char> bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }

  void skip(std::size_t n, const char* field) {
    need(n, field);
    pos_ += n;
  }
  template <std::unsigned_integral U>
  U get(const char* field) {
    need(sizeof(U), field);
    const U v = get_le<U>(bytes_.data() + pos_);
    pos_ += sizeof(U);
    return v;
  }
  std::string_view text(std::size_t n, const char* field) {
    need(n, field);
    const std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  void need(std::size_t n, const char* field) const {
    if (n > remaining())
      throw file_error(file_error::reason::corrupted,
                       source_ + " is corrupted: " + field + " runs past the end of the parameter table");
  }

  std::span<const unsigned char> bytes_;
  std::size_t pos_ = 0;
  const std::string& source_;
};

}  // namespace tapeless::detail::params_file
