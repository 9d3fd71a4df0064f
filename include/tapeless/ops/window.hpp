#pragma once
// Where a window (of a convolution or a pooling) slides over one axis of an
// image, and the runs of window positions that see the same taps.

#include <array>
#include <cstddef>

namespace tapeless::detail {

// The integers [first, last).
struct index_range {
  std::size_t first, last;
};

// Where a window of Kernel taps with stride Stride slides over one axis of
// Extent elements padded by Padding zeros on both sides. Shared by conv2d
// and the pooling ops (Padding 0).
template <std::size_t Kernel, std::size_t Stride, std::size_t Padding, std::size_t Extent>
struct window_axis {
  static constexpr std::size_t padded = Extent + 2 * Padding;
  static constexpr bool fits = Kernel >= 1 && Stride >= 1 && Kernel <= padded;
  static constexpr bool divides = fits && (padded - Kernel) % Stride == 0;
  static constexpr std::size_t out = fits ? (padded - Kernel) / Stride + 1 : 0;

  // Taps t of output position i that land inside the input (i S + t - P in
  // [0, Extent)).
  static constexpr index_range taps(std::size_t i) {
    const std::size_t start = i * Stride;  // the input index of tap 0, plus Padding
    const std::size_t first = start < Padding ? Padding - start : 0;
    const std::size_t end = Extent + Padding > start ? Extent + Padding - start : 0;
    const std::size_t last = end < Kernel ? end : Kernel;
    return {first, last > first ? last : first};
  }

  // Output positions i whose tap t lands inside the input.
  static constexpr index_range outputs(std::size_t t) {
    // i S + t - P >= 0  and  i S + t - P <= Extent - 1
    const std::size_t first = t >= Padding ? 0 : (Padding - t + Stride - 1) / Stride;
    const std::size_t top = Extent - 1 + Padding;  // i S + t <= top
    const std::size_t last_in = t <= top ? (top - t) / Stride + 1 : 0;
    const std::size_t last = last_in < out ? last_in : out;
    return {first, last > first ? last : first};
  }
};

// The output positions of one axis cut into runs of consecutive positions
// whose in-image taps are the same range: with padding, a few border runs
// and one interior run with every tap inside. A blocked kernel is
// instantiated per run, so its tap loops have compile-time bounds.
struct window_run {
  std::size_t first_tap, last_tap;  // taps [first_tap, last_tap) land inside
  std::size_t begin, end;           // output positions [begin, end)
};

template <std::size_t Kernel, std::size_t Stride, std::size_t Padding, std::size_t Extent>
struct window_runs {
  using axis = window_axis<Kernel, Stride, Padding, Extent>;
  static constexpr bool same_taps(std::size_t a, std::size_t b) {
    return axis::taps(a).first == axis::taps(b).first && axis::taps(a).last == axis::taps(b).last;
  }
  static constexpr std::size_t count = [] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < axis::out; ++i) n += i == 0 || !same_taps(i, i - 1);
    return n;
  }();
  static constexpr std::array<window_run, count> runs = [] {
    std::array<window_run, count> r{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < axis::out; ++i) {
      if (i == 0 || !same_taps(i, i - 1)) r[n++] = {axis::taps(i).first, axis::taps(i).last, i, i};
      r[n - 1].end = i + 1;
    }
    return r;
  }();
};

}  // namespace tapeless::detail
