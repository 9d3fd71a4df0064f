#pragma once
// tapeless::save(P, path) and tapeless::save(P, stream): one parameter
// buffer (params, gradients) as one binary file in the format of
// <tapeless/io/format.hpp>.
//
// A save to a path never writes into the file at `path` itself:
//   1. if `path` is a symbolic link, it is resolved (every link in a chain;
//      relative links against their own directory), and the file it names is
//      the one replaced: the link stays a link and keeps pointing there;
//   2. a temporary file with a random name is created next to that file,
//      with open(O_CREAT | O_EXCL | O_NOFOLLOW), so nothing planted at a
//      predictable name (a symlink, a file) can be written through; it gets
//      the mode of the file it replaces, or 0666 minus the umask for a new
//      file;
//   3. the image is written, fsynced and the file closed;
//   4. the temporary is renamed over the target (atomic on POSIX file
//      systems) and the directory is fsynced.
// Any failure throws file_error and removes the temporary, so there is never
// a half-written file at the target, an older file there stays as it was,
// and no temporary is left behind. docs/io.md has the details.
//
// Non-finite parameters: a buffer holding a NaN or an infinity is refused
// before anything is written or created (file_error, reason write_failed,
// naming the parameter and the element), since such a file would load
// without complaint and spread the NaN. Pass `{.allow_non_finite = true}`
// as the last argument to save it anyway.

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tapeless/core/params.hpp>
#include <tapeless/io/crc32.hpp>
#include <tapeless/io/file_error.hpp>
#include <tapeless/io/format.hpp>

namespace tapeless {

struct save_options {
  bool allow_non_finite = false;  // write NaN and infinities instead of refusing them
};

namespace detail::params_file {

// Throws file_error naming the first non-finite number of the buffer.
template <class P>
void refuse_non_finite(const P& params, const std::string& destination) {
  const auto* data = params.data();
  for (const auto& leaf : P::layout_info())
    for (std::size_t e = 0; e < leaf.size; ++e) {
      const double v = double(data[leaf.offset + e]);
      if (!std::isfinite(v))
        throw file_error(file_error::reason::write_failed,
                         "tapeless::save: parameter '" + std::string(leaf.name) + "'" +
                             (leaf.size > 1 ? " element " + std::to_string(e) : std::string()) + " is " +
                             (std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf") + "; nothing was written to " +
                             destination + " (save(P, ..., {.allow_non_finite = true}) writes it anyway)");
    }
}

// The whole file, checksum included.
template <class P>
std::vector<unsigned char> encode(const P& params) {
  using E = typename P::element_type;
  writer w;
  w.bytes.reserve(file_size<P>());
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

// Follows `path` through symbolic links (a chain of at most 40, as the
// kernel's own limit) to the path of the file a write through it would reach;
// that file need not exist. A path that is not a link is returned as it is.
inline std::filesystem::path resolve_links(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  fs::path p = path;
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    const auto status = fs::symlink_status(p, ec);
    if (ec || !fs::is_symlink(status)) return p;
    if (hops == 40)
      throw file_error(file_error::reason::cannot_open,
                       "tapeless::save: cannot resolve " + quoted(path) + ": " + os_error_text(ELOOP));
    const fs::path next = fs::read_symlink(p, ec);
    if (ec)
      throw file_error(file_error::reason::cannot_open,
                       "tapeless::save: cannot read the symbolic link " + quoted(p) + ": " + ec.message());
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
}

// Closes a descriptor and removes the temporary file unless released.
class temporary_file {
 public:
  temporary_file(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  ~temporary_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const noexcept { return fd_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // close(2), reporting its error; the descriptor is gone either way.
  int close() noexcept {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void keep() noexcept { path_.clear(); }

 private:
  int fd_;
  std::filesystem::path path_;
};

// 64 random bits from the OS. Without an entropy source (random_device
// throws), the clock, the process and a counter: O_EXCL still keeps the
// write from being redirected, only a name is easier to guess and occupy.
inline std::uint64_t temporary_bits() noexcept {
  try {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  } catch (...) {
    static std::atomic<std::uint64_t> counter{0};
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return now * 0x9E3779B97F4A7C15u ^ (std::uint64_t(::getpid()) << 32) ^ counter.fetch_add(1);
  }
}

// A name no one can predict, in the target's directory (so the rename stays
// on one file system), starting with a dot.
inline std::filesystem::path temporary_name(const std::filesystem::path& target) {
  static constexpr char digits[] = "0123456789abcdef";
  std::uint64_t r = temporary_bits();
  std::string suffix(16, '0');
  for (char& c : suffix) {
    c = digits[r & 0xF];
    r >>= 4;
  }
  // Short enough for NAME_MAX (255) whatever the target's name.
  std::string base = target.filename().string().substr(0, 200);
  return target.parent_path() / ("." + base + "." + suffix + ".tmp");
}

// Opens a fresh temporary next to `target` with `mode`, retrying on the
// (unlikely) collision with an existing name.
inline temporary_file create_temporary(const std::filesystem::path& target, const std::filesystem::path& path,
                                       mode_t mode) {
  for (int attempt = 0;; ++attempt) {
    const std::filesystem::path name = temporary_name(target);
    const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return temporary_file(fd, name);
    const int error = errno;
    if (error == EEXIST && attempt < 100) continue;
    const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
    throw file_error(file_error::reason::cannot_open,
                     "tapeless::save: cannot create a temporary file in " + quoted(dir) + " for " + quoted(path) +
                         ": " + os_error_text(error));
  }
}

}  // namespace detail::params_file

template <leaf_storage P>
void save(const P& params, std::ostream& out, const save_options& options = {}) {
  static_assert(
      detail::params_file::storable<typename P::element_type>,
      "tapeless::save(P, stream) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (detail::params_file::storable<typename P::element_type>) {
    if (!options.allow_non_finite) detail::params_file::refuse_non_finite(params, "the stream");
    const auto image = detail::params_file::encode(params);
    out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    out.flush();
    if (!out)
      throw file_error(file_error::reason::write_failed,
                       "tapeless::save: writing " + std::to_string(image.size()) + " bytes to the stream failed");
  }
}

template <leaf_storage P>
void save(const P& params, const std::filesystem::path& path, const save_options& options = {}) {
  static_assert(detail::params_file::storable<typename P::element_type>,
                "tapeless::save(P, path) requires a buffer of float or double: files hold IEEE-754 float32 or float64");
  if constexpr (detail::params_file::storable<typename P::element_type>) {
    using detail::params_file::os_error_text;
    using detail::params_file::quoted;
    const auto failed = [&](const std::string& what, int error) {
      return file_error(file_error::reason::write_failed, "tapeless::save: " + what + ": " + os_error_text(error));
    };
    if (!options.allow_non_finite) detail::params_file::refuse_non_finite(params, quoted(path));
    const auto image = detail::params_file::encode(params);
    const std::filesystem::path target = detail::params_file::resolve_links(path);

    // The mode of the file being replaced; a new file gets 0666 minus the
    // umask, as open(2) and std::ofstream give it.
    struct stat existing {};
    const bool replacing = ::stat(target.c_str(), &existing) == 0;
    detail::params_file::temporary_file tmp =
        detail::params_file::create_temporary(target, path, replacing ? mode_t{0600} : mode_t{0666});
    if (replacing && ::fchmod(tmp.fd(), existing.st_mode & 07777) != 0)
      throw failed("cannot give " + quoted(tmp.path()) + " the mode of " + quoted(target), errno);

    const unsigned char* data = image.data();
    std::size_t left = image.size();
    while (left > 0) {
      const ssize_t n = ::write(tmp.fd(), data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw failed("writing " + std::to_string(image.size()) + " bytes to " + quoted(tmp.path()) + " failed",
                     n < 0 ? errno : EIO);
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(tmp.fd()) != 0) throw failed("fsync of " + quoted(tmp.path()) + " failed", errno);
    if (const int error = tmp.close(); error != 0) throw failed("closing " + quoted(tmp.path()) + " failed", error);
    if (::rename(tmp.path().c_str(), target.c_str()) != 0)
      throw failed("cannot rename " + quoted(tmp.path()) + " to " + quoted(target), errno);
    tmp.keep();

    // The rename is durable once the directory is on disk. File systems that
    // cannot sync a directory (EINVAL) have nothing more to give.
    const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      const int rc = ::fsync(dir_fd);
      const int error = errno;
      ::close(dir_fd);
      if (rc != 0 && error != EINVAL && error != EROFS)
        throw failed("the new " + quoted(target) + " is in place, but the fsync of its directory failed", error);
    }
  }
}

}  // namespace tapeless
