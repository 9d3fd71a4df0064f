#pragma once
// The xsimd functions tapeless calls whose names changed between xsimd
// releases, under one name each, so that xsimd 8.1 (Debian 12) through 13
// (Debian 13) work.
//
//   reduce_add(b)   the sum of a batch's lanes: xsimd::hadd up to 8.x;
//                   xsimd::reduce_add from 9.0, which removed hadd later

#include <xsimd/xsimd.hpp>

namespace tapeless::detail {

template <class Batch>
auto reduce_add(const Batch& b) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(b);
#else
  return xsimd::hadd(b);
#endif
}

}  // namespace tapeless::detail
