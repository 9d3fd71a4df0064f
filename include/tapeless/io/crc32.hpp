#pragma once
// CRC-32 as in zlib, gzip and PNG (IEEE 802.3): reflected polynomial
// 0xEDB88320, initial value and final xor 0xFFFFFFFF, so that
// crc32("123456789") == 0xCBF43926 and `python3 -c "import zlib; ..."` can
// check a file. It detects every single-bit error and every burst of up to
// 32 bits.

#include <array>
#include <cstdint>
#include <span>

namespace tapeless::detail {

inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}();

// `crc` continues a checksum over earlier bytes: crc32(b, crc32(a)) == crc32(a + b).
constexpr std::uint32_t crc32(std::span<const unsigned char> bytes, std::uint32_t crc = 0) noexcept {
  crc = ~crc;
  for (const unsigned char b : bytes) crc = crc32_table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace tapeless::detail
