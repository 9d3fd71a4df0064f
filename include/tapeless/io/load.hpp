#pragma once
// tapeless::load(P, path) and tapeless::load(P, stream): read a file written
// by tapeless::save into a buffer of the same network and element type.
//
// The whole file is read and checked first (magic, version, length,
// checksum, element type, every parameter's name and shape); the buffer is
// written only after every check has passed, so on any error it is left
// exactly as it was. Values are never converted: a float64 file does not
// load into a float buffer.

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

// One file image from `in`: the fixed header, then exactly as many bytes as
// its length field declares. Checks magic, version and length on the way.
inline std::vector<unsigned char> read_image(std::istream& in, const std::string& source) {
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
  // In chunks, so that a corrupted length field cannot ask for a huge
  // allocation before the end of the input shows it up.
  constexpr std::size_t chunk = std::size_t{1} << 16;
  while (image.size() < length) {
    const std::size_t old = image.size();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length - old, chunk));
    image.resize(old + want);
    in.read(reinterpret_cast<char*>(image.data() + old), static_cast<std::streamsize>(want));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got < want) {
      image.resize(old + got);
      throw file_error(reason::truncated, source + " is truncated: its header says " + std::to_string(length) +
                                              " bytes, got " + std::to_string(image.size()));
    }
  }
  return image;
}

struct entry {
  std::string_view name;
  std::uint64_t rank;
  std::uint64_t dims[3];
};

inline std::string entry_text(std::string_view name, std::uint64_t rank, const std::uint64_t* dims) {
  return std::string(name) + " as " + shape_text(rank, dims);
}

inline std::string leaf_text(const leaf_info& leaf) {
  const std::uint64_t dims[3] = {leaf.dims[0], leaf.dims[1], leaf.dims[2]};
  return entry_text(leaf.name, leaf.rank, dims);
}

// Checks a whole image (checksum, element type, parameter table) against
// buffer type P; returns the offset of the payload.
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

  const auto code = get_le<std::uint32_t>(image.data() + 12);
  if (code != element_code<E>())
    throw file_error(reason::element_type_mismatch, source + " holds " + element_name(code) +
                                                        " values; the buffer holds " + element_name(element_code<E>()) +
                                                        " (load does not convert between element types)");

  reader r(image.first(body), source);
  r.skip(header_size - 8, "the header");  // magic to length, read above
  const auto count = r.get<std::uint64_t>("the header");
  std::vector<entry> entries;
  for (std::uint64_t i = 0; i < count; ++i) {
    entry e{};
    const auto name_length = r.get<std::uint32_t>("a name length");
    e.name = r.text(name_length, "a parameter name");
    e.rank = r.get<std::uint32_t>("a rank");
    if (e.rank > 3)
      throw file_error(reason::corrupted, source + " is corrupted: parameter " + std::to_string(i + 1) + " (" +
                                              std::string(e.name) + ") has rank " + std::to_string(e.rank) +
                                              "; tapeless files hold ranks 0 to 3");
    for (std::uint64_t d = 0; d < e.rank; ++d) e.dims[d] = r.get<std::uint64_t>("a dimension");
    entries.push_back(e);
  }

  const auto& leaves = P::layout_info();
  const std::string count_text =
      "the file has " + std::to_string(entries.size()) + " parameters, the buffer " + std::to_string(leaves.size());
  const std::string prefix = source + " was written for another network: ";
  const std::size_t common = std::min<std::size_t>(entries.size(), leaves.size());
  for (std::size_t i = 0; i < common; ++i) {
    const entry& f = entries[i];
    const leaf_info& b = leaves[i];
    const bool same = f.name == b.name && f.rank == b.rank && std::equal(f.dims, f.dims + f.rank, b.dims.begin());
    if (!same)
      throw file_error(reason::network_mismatch,
                       prefix + "parameter " + std::to_string(i + 1) + ": file has " +
                           entry_text(f.name, f.rank, f.dims) + ", buffer expects " + leaf_text(b) +
                           (entries.size() != leaves.size() ? " (" + count_text + ")" : std::string()));
  }
  if (entries.size() < leaves.size())
    throw file_error(reason::network_mismatch, prefix + count_text + ": parameter " + std::to_string(common + 1) +
                                                   ", " + leaf_text(leaves[common]) + ", is missing from the file");
  if (entries.size() > leaves.size())
    throw file_error(reason::network_mismatch,
                     prefix + count_text + ": the file has an extra parameter " + std::to_string(common + 1) + ", " +
                         entry_text(entries[common].name, entries[common].rank, entries[common].dims));

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
    const auto image = detail::params_file::read_image(in, source);
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
    const auto image = detail::params_file::read_image(in, source);
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
