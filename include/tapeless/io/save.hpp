#pragma once
// tapeless::save(P, path) and tapeless::save(P, stream): one parameter
// buffer (params, gradients) as one binary file in the format of
// <tapeless/io/format.hpp>. A save to a path writes `path.tmp` and renames
// it over `path`, so a failed save leaves no half-written file at `path`
// (and any older file there unchanged).

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include <tapeless/core/params.hpp>
#include <tapeless/io/crc32.hpp>
#include <tapeless/io/file_error.hpp>
#include <tapeless/io/format.hpp>

namespace tapeless {
namespace detail::params_file {

// The whole file, checksum included.
template <class P>
std::vector<unsigned char> encode(const P& params) {
  using E = typename P::element_type;
  writer w;
  w.put(std::span<const unsigned char>(magic));
  w.put(version);
  w.put(element_code<E>());
  w.put(std::uint64_t{0});  // the length, patched below
  w.put(static_cast<std::uint64_t>(P::leaf_count()));
  for (const leaf_info& leaf : P::layout_info()) {
    w.put(static_cast<std::uint32_t>(leaf.name.size()));
    w.put(leaf.name);
    w.put(static_cast<std::uint32_t>(leaf.rank));
    for (std::size_t d = 0; d < leaf.rank; ++d) w.put(static_cast<std::uint64_t>(leaf.dims[d]));
  }
  // Through the bit pattern, never a floating-point register, so NaN
  // payloads and -0.0 survive exactly.
  for (std::size_t k = 0; k < P::size(); ++k) {
    bits_of<E> bits;
    std::memcpy(&bits, params.data() + k, sizeof bits);
    w.put(bits);
  }
  w.put_at(length_offset, static_cast<std::uint64_t>(w.bytes.size() + checksum_size));
  w.put(crc32(w.bytes));
  return std::move(w.bytes);
}

}  // namespace detail::params_file

template <leaf_storage P>
void save(const P& params, std::ostream& out) {
  static_assert(
      detail::params_file::storable<typename P::element_type>,
      "tapeless::save(P, stream) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (detail::params_file::storable<typename P::element_type>) {
    const auto image = detail::params_file::encode(params);
    out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    out.flush();
    if (!out)
      throw file_error(file_error::reason::write_failed,
                       "tapeless::save: writing " + std::to_string(image.size()) + " bytes to the stream failed");
  }
}

template <leaf_storage P>
void save(const P& params, const std::filesystem::path& path) {
  static_assert(detail::params_file::storable<typename P::element_type>,
                "tapeless::save(P, path) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (detail::params_file::storable<typename P::element_type>) {
    using detail::params_file::os_error_text;
    using detail::params_file::quoted;
    const auto image = detail::params_file::encode(params);
    std::filesystem::path tmp = path;
    tmp += ".tmp";

    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw file_error(file_error::reason::cannot_open, "tapeless::save: cannot open " + quoted(tmp) +
                                                            " (the temporary for " + quoted(path) +
                                                            ") for writing: " + os_error_text(errno));
    const auto fail = [&](const std::string& what, int error) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw file_error(file_error::reason::write_failed, "tapeless::save: " + what + ": " + os_error_text(error));
    };
    errno = 0;
    out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    out.flush();
    if (!out) fail("writing " + std::to_string(image.size()) + " bytes to " + quoted(tmp) + " failed", errno);
    errno = 0;
    out.close();
    if (out.fail()) fail("closing " + quoted(tmp) + " failed", errno);

    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw file_error(file_error::reason::write_failed,
                       "tapeless::save: cannot rename " + quoted(tmp) + " to " + quoted(path) + ": " + ec.message());
    }
  }
}

}  // namespace tapeless
