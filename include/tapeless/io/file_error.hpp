#pragma once
// The exception every failed save or load throws. The message says what is
// wrong in words (with the path, the OS error, the expected and found
// values); why() says which kind of failure it was, for code that reacts.

#include <stdexcept>
#include <string>

namespace tapeless {

class file_error : public std::runtime_error {
 public:
  enum class reason {
    cannot_open,            // open failed; the message has the path and the OS error
    write_failed,           // write, flush, close or the final rename failed
    not_tapeless,           // the file does not start with the magic bytes
    unsupported_version,    // a format version this build cannot read
    element_type_mismatch,  // float32 file into a double buffer, or the reverse
    network_mismatch,       // parameter names, shapes or count differ
    truncated,              // fewer bytes than the header declares
    checksum_mismatch,      // the CRC-32 does not match the contents
    corrupted,              // inconsistent structure or bytes after the end
  };

  file_error(reason why, const std::string& what) : std::runtime_error(what), why_(why) {}

  reason why() const noexcept { return why_; }

 private:
  reason why_;
};

}  // namespace tapeless
