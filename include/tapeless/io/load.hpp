#pragma once
// tapeless::load(P, path) and tapeless::load(P, stream): read a file written
// by tapeless::save into a buffer of the same network and element type.
//
// The header is read first. The length it declares must be exactly the
// length of this buffer's file, known at compile time; only then is the rest
// read (one allocation of that size) and checked (checksum, element type,
// every parameter's name and shape). A file of any other length is diagnosed
// from its header and parameter table, without reading its payload. The
// buffer is written only after every check has passed, so on any error it is
// left exactly as it was. Every failure is a file_error. Values are never
// converted: a float64 file does not load into a float buffer.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <tapeless/core/params.hpp>
#include <tapeless/io/crc32.hpp>
#include <tapeless/io/file_error.hpp>
#include <tapeless/io/format.hpp>

namespace tapeless {
namespace detail::params_file {

inline std::string hex_bytes(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    if (!out.empty()) out += ' ';
    out += digits[b >> 4];
    out += digits[b & 0xFu];
  }
  return out;
}

inline std::string hex32(std::uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(v));
  return text;
}

// The element type check, shared by both paths below.
template <class E>
void check_element_type(std::uint32_t code, const std::string& source) {
  if (code != element_code<E>())
    throw file_error(file_error::reason::element_type_mismatch,
                     source + " holds " + element_name(code) + " values; the buffer holds " +
                         element_name(element_code<E>()) + " (load does not convert between element types)");
}

struct entry {
  std::string name;
  std::uint32_t name_length = 0;
  bool name_read = true;  // false: a name too long to show, left unread
  std::uint64_t rank = 0;
  std::uint64_t dims[3] = {0, 0, 0};
};

inline std::string entry_text(const entry& e) {
  if (!e.name_read) return "a parameter with a " + std::to_string(e.name_length) + "-byte name";
  return e.name + " as " + shape_text(e.rank, e.dims);
}

inline std::string leaf_text(const leaf_info& leaf) {
  const std::uint64_t dims[3] = {leaf.dims[0], leaf.dims[1], leaf.dims[2]};
  return std::string(leaf.name) + " as " + shape_text(leaf.rank, dims);
}

// Reads fields straight from a stream, as `reader` does from an image: at
// most `limit` bytes in all (the declared length less the checksum), each
// field only when asked for, so nothing larger than one name (at most
// longest_name_shown bytes, or the buffer's own name length) is ever
// allocated.
class stream_reader {
 public:
  stream_reader(std::istream& in, std::uint64_t consumed, std::uint64_t limit, std::uint64_t length,
                const std::string& source)
      : in_(in), consumed_(consumed), limit_(limit), length_(length), source_(source) {}

  template <std::unsigned_integral U>
  U get(const char* field) {
    unsigned char b[sizeof(U)];
    fill(b, sizeof(U), field);
    return get_le<U>(b);
  }
  static constexpr bool streaming = true;
  std::uint64_t remaining() const noexcept { return limit_ - consumed_; }
  std::string text(std::size_t n, const char* field) {
    within_table(n, field);  // before the allocation
    std::string s(n, '\0');
    fill(reinterpret_cast<unsigned char*>(s.data()), n, field);
    return s;
  }

 private:
  void within_table(std::size_t n, const char* field) const {
    if (n > limit_ - consumed_)
      throw file_error(file_error::reason::corrupted,
                       source_ + " is corrupted: " + field + " runs past the end of the parameter table");
  }
  void fill(unsigned char* out, std::size_t n, const char* field) {
    within_table(n, field);
    in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
    const auto got = static_cast<std::uint64_t>(in_.gcount());
    consumed_ += got;
    if (got < n)
      throw file_error(file_error::reason::truncated, source_ + " is truncated: its header says " +
                                                          std::to_string(length_) + " bytes, got " +
                                                          std::to_string(consumed_));
  }

  std::istream& in_;
  std::uint64_t consumed_, limit_, length_;
  const std::string& source_;
};

// Names longer than this are not read when they differ from the buffer's
// (the file is rejected either way); the message gives their length.
inline constexpr std::uint32_t longest_name_shown = 256;

// One entry of the parameter table from `r` (a reader over an image, or a
// stream_reader); `expected` is the length of the buffer's name at this
// position.
template <class R>
entry read_entry(R& r, std::uint64_t index, std::size_t expected, const std::string& source) {
  entry e;
  e.name_length = r.template get<std::uint32_t>("a name length");
  // An image is already in memory, and every field of it is read; a stream
  // is read no further than a name this short.
  constexpr bool streaming = requires { R::streaming; };
  if (streaming && e.name_length != expected && e.name_length > longest_name_shown &&
      e.name_length <= r.remaining()) {
    e.name_read = false;
    return e;
  }
  e.name = std::string(r.text(e.name_length, "a parameter name"));
  e.rank = r.template get<std::uint32_t>("a rank");
  if (e.rank > 3)
    throw file_error(file_error::reason::corrupted,
                     source + " is corrupted: parameter " + std::to_string(index + 1) + " (" + e.name + ") has rank " +
                         std::to_string(e.rank) + "; tapeless files hold ranks 0 to 3");
  for (std::uint64_t d = 0; d < e.rank; ++d) e.dims[d] = r.template get<std::uint64_t>("a dimension");
  return e;
}

// Compares the parameter table (count entries, read from `r` one at a time
// and no further than the first difference) with buffer type P's layout.
template <class P, class R>
void check_table(R& r, std::uint64_t count, const std::string& source) {
  using reason = file_error::reason;
  const auto& leaves = P::layout_info();
  const std::string count_text =
      "the file has " + std::to_string(count) + " parameters, the buffer " + std::to_string(leaves.size());
  const std::string prefix = source + " was written for another network: ";
  const std::size_t common = static_cast<std::size_t>(std::min<std::uint64_t>(count, leaves.size()));
  for (std::size_t i = 0; i < common; ++i) {
    const leaf_info& b = leaves[i];
    const entry f = read_entry(r, i, b.name.size(), source);
    const bool same = f.name_read && f.name == b.name && f.rank == b.rank &&
                      std::equal(f.dims, f.dims + f.rank, b.dims.begin());
    if (!same)
      throw file_error(reason::network_mismatch,
                       prefix + "parameter " + std::to_string(i + 1) + ": file has " + entry_text(f) +
                           ", buffer expects " + leaf_text(b) +
                           (count != leaves.size() ? " (" + count_text + ")" : std::string()));
  }
  if (count < leaves.size())
    throw file_error(reason::network_mismatch, prefix + count_text + ": parameter " + std::to_string(common + 1) +
                                                   ", " + leaf_text(leaves[common]) + ", is missing from the file");
  if (count > leaves.size()) {
    const entry extra = read_entry(r, common, std::size_t(-1), source);
    throw file_error(reason::network_mismatch, prefix + count_text + ": the file has an extra parameter " +
                                                   std::to_string(common + 1) + ", " + entry_text(extra));
  }
}

// One file image from `in`, for a buffer of type P: the fixed header, then
// the rest only if the length field is exactly file_size<P>(), the length of
// every file this buffer can load (known at compile time). Any other length
// is diagnosed from the header and the parameter table alone, read entry by
// entry up to the first difference, and rejected without reading the
// payload: a forged length can neither ask for a large allocation nor
// make load read a large amount of input.
template <class P>
std::vector<unsigned char> read_image(std::istream& in, const std::string& source) {
  using reason = file_error::reason;
  std::vector<unsigned char> image(header_size);
  in.read(reinterpret_cast<char*>(image.data()), static_cast<std::streamsize>(header_size));
  image.resize(static_cast<std::size_t>(in.gcount()));

  const std::size_t m = std::min(image.size(), magic.size());
  if (!std::equal(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(m), magic.begin()))
    throw file_error(reason::not_tapeless, source + " is not a tapeless parameter file: it starts with " +
                                               hex_bytes(std::span(image.data(), m)) + ", not \"TAPELESS\"");
  if (image.size() < header_size)
    throw file_error(reason::truncated, source + " is truncated: got " + std::to_string(image.size()) +
                                            " bytes, fewer than the " + std::to_string(header_size) + "-byte header");

  const auto file_version = get_le<std::uint32_t>(image.data() + 8);
  if (file_version != version)
    throw file_error(reason::unsupported_version, source + " has format version " + std::to_string(file_version) +
                                                      "; this tapeless reads version " + std::to_string(version));

  const auto length = get_le<std::uint64_t>(image.data() + length_offset);
  if (length < header_size + checksum_size)
    throw file_error(reason::corrupted, source + " is corrupted: its length field says " + std::to_string(length) +
                                            " bytes, less than the " + std::to_string(header_size + checksum_size) +
                                            "-byte minimum");

  constexpr std::uint64_t expected = file_size<P>();
  if (length != expected) {
    // Not a file for this buffer: say why, from what precedes the payload.
    check_element_type<typename P::element_type>(get_le<std::uint32_t>(image.data() + 12), source);
    stream_reader r(in, header_size, length - checksum_size, length, source);
    check_table<P>(r, get_le<std::uint64_t>(image.data() + 24), source);
    throw file_error(reason::corrupted, source + " is corrupted: its length field says " + std::to_string(length) +
                                            " bytes; the file of this buffer (" + std::to_string(P::size()) + " " +
                                            element_name(element_code<typename P::element_type>()) +
                                            " values) has " + std::to_string(expected));
  }

  image.resize(static_cast<std::size_t>(expected));
  in.read(reinterpret_cast<char*>(image.data() + header_size), static_cast<std::streamsize>(expected - header_size));
  const auto got = header_size + static_cast<std::size_t>(in.gcount());
  if (got < expected)
    throw file_error(reason::truncated, source + " is truncated: its header says " + std::to_string(length) +
                                            " bytes, got " + std::to_string(got));
  return image;
}

// Checks a whole image of file_size<P>() bytes (checksum, element type,
// parameter table) against buffer type P; returns the offset of the payload.
template <class P>
std::size_t check_image(std::span<const unsigned char> image, const std::string& source) {
  using E = typename P::element_type;
  using reason = file_error::reason;

  const std::size_t body = image.size() - checksum_size;
  const auto stored = get_le<std::uint32_t>(image.data() + body);
  const auto computed = crc32(image.first(body));
  if (stored != computed)
    throw file_error(reason::checksum_mismatch, source + " is corrupted: the CRC-32 of its first " +
                                                    std::to_string(body) + " bytes is " + hex32(computed) +
                                                    ", the file stores " + hex32(stored));

  check_element_type<E>(get_le<std::uint32_t>(image.data() + 12), source);

  reader r(image.first(body), source);
  r.skip(header_size - 8, "the header");  // magic to length, read above
  check_table<P>(r, r.get<std::uint64_t>("the header"), source);

  const std::size_t payload = P::size() * sizeof(E);
  if (r.remaining() != payload)
    throw file_error(reason::corrupted, source + " is corrupted: its values take " + std::to_string(r.remaining()) +
                                            " bytes, the parameter table says " + std::to_string(payload));
  return r.position();
}

// Cannot fail: everything was checked.
template <class P>
void decode_payload(std::span<const unsigned char> image, std::size_t offset, P& dest) noexcept {
  using E = typename P::element_type;
  for (std::size_t k = 0; k < P::size(); ++k) {
    const auto bits = get_le<bits_of<E>>(image.data() + offset + k * sizeof(E));
    std::memcpy(dest.data() + k, &bits, sizeof bits);
  }
}

}  // namespace detail::params_file

template <leaf_storage P>
void load(P& dest, std::istream& in) {
  static_assert(!std::is_const_v<P>, "tapeless::load(P, stream) needs a non-const buffer to load into");
  static_assert(
      detail::params_file::storable<typename P::element_type>,
      "tapeless::load(P, stream) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (!std::is_const_v<P> && detail::params_file::storable<typename P::element_type>) {
    const std::string source = "tapeless::load: the stream";
    const auto image = detail::params_file::read_image<P>(in, source);
    const auto offset = detail::params_file::check_image<P>(image, source);
    detail::params_file::decode_payload(image, offset, dest);
  }
}

template <leaf_storage P>
void load(P& dest, const std::filesystem::path& path) {
  static_assert(!std::is_const_v<P>, "tapeless::load(P, path) needs a non-const buffer to load into");
  static_assert(detail::params_file::storable<typename P::element_type>,
                "tapeless::load(P, path) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (!std::is_const_v<P> && detail::params_file::storable<typename P::element_type>) {
    const std::string source = "tapeless::load: " + detail::params_file::quoted(path);
    const auto cannot_open = [&](int error) {
      return file_error(file_error::reason::cannot_open,
                        "tapeless::load: cannot open " + detail::params_file::quoted(path) +
                            " for reading: " + detail::params_file::os_error_text(error));
    };
    // An ifstream opens a directory and then reads nothing from it.
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) throw cannot_open(EISDIR);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw cannot_open(errno);
    const auto image = detail::params_file::read_image<P>(in, source);
    if (in.peek() != std::ifstream::traits_type::eof()) {
      std::error_code ec;
      const auto actual = std::filesystem::file_size(path, ec);
      throw file_error(file_error::reason::corrupted, source + " is corrupted: its header says " +
                                                          std::to_string(image.size()) + " bytes, the file has " +
                                                          (ec ? std::string("more") : std::to_string(actual)));
    }
    const auto offset = detail::params_file::check_image<P>(image, source);
    detail::params_file::decode_payload(image, offset, dest);
  }
}

}  // namespace tapeless
