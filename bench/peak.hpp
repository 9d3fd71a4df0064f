// FMA peak of one core: an inline-asm loop of Acc independent
// vfmadd231ps/pd zmm accumulators (enough to cover FMA latency x FMA pipes),
// registered as peak/fma_* by the benchmark executables that report a
// fraction of peak (tapeless_bench, tapeless_inference).  Defines
// TLB_HAVE_PEAK when the kernel is available (x86-64 with AVX-512).
#pragma once

#include <benchmark/benchmark.h>

namespace tlbench {

// ---- FMA peak: Acc independent accumulator registers (enough to cover
// FMA latency x FMA pipes), each updated once per loop trip, in inline asm
// so the compiler can neither spill nor fold them.  Sources are zero (no
// denormals).  Flops counted as 2 per lane per FMA.
#if defined(__AVX512F__) && defined(__x86_64__)
#define TLB_FMA(P, K) "vfmadd231p" P " %%zmm30, %%zmm31, %%zmm" #K "\n\t"
#define TLB_FMA8(P, A, B, C, D, E, F, G, H) \
  TLB_FMA(P, A) TLB_FMA(P, B) TLB_FMA(P, C) TLB_FMA(P, D) TLB_FMA(P, E) TLB_FMA(P, F) TLB_FMA(P, G) TLB_FMA(P, H)
#define TLB_CLOBBER8(A, B, C, D, E, F, G, H) \
  "xmm" #A, "xmm" #B, "xmm" #C, "xmm" #D, "xmm" #E, "xmm" #F, "xmm" #G, "xmm" #H
#define TLB_ZERO(K) "vpxord %%zmm" #K ", %%zmm" #K ", %%zmm" #K "\n\t"
#define TLB_ZERO8(A, B, C, D, E, F, G, H) \
  TLB_ZERO(A) TLB_ZERO(B) TLB_ZERO(C) TLB_ZERO(D) TLB_ZERO(E) TLB_ZERO(F) TLB_ZERO(G) TLB_ZERO(H)

#define TLB_DEFINE_FMA_LOOP(NAME, P)                                                                             \
  template <int Acc>                                                                                             \
  __attribute__((noinline)) void NAME(long trips) {                                                              \
    static_assert(Acc == 8 || Acc == 16 || Acc == 24);                                                           \
    if constexpr (Acc == 8) {                                                                                    \
      asm volatile(TLB_ZERO8(0, 1, 2, 3, 4, 5, 6, 7) TLB_ZERO(30) TLB_ZERO(31)                                   \
                   "1:\n\t" TLB_FMA8(P, 0, 1, 2, 3, 4, 5, 6, 7) "dec %0\n\tjnz 1b\n\t"                           \
                   : "+r"(trips)                                                                                 \
                   :                                                                                             \
                   : TLB_CLOBBER8(0, 1, 2, 3, 4, 5, 6, 7), "xmm30", "xmm31", "cc");                             \
    } else if constexpr (Acc == 16) {                                                                            \
      asm volatile(TLB_ZERO8(0, 1, 2, 3, 4, 5, 6, 7) TLB_ZERO8(8, 9, 10, 11, 12, 13, 14, 15) TLB_ZERO(30)        \
                       TLB_ZERO(31) "1:\n\t" TLB_FMA8(P, 0, 1, 2, 3, 4, 5, 6, 7)                                 \
                           TLB_FMA8(P, 8, 9, 10, 11, 12, 13, 14, 15) "dec %0\n\tjnz 1b\n\t"                      \
                   : "+r"(trips)                                                                                 \
                   :                                                                                             \
                   : TLB_CLOBBER8(0, 1, 2, 3, 4, 5, 6, 7), TLB_CLOBBER8(8, 9, 10, 11, 12, 13, 14, 15), "xmm30", \
                     "xmm31", "cc");                                                                             \
    } else {                                                                                                     \
      asm volatile(TLB_ZERO8(0, 1, 2, 3, 4, 5, 6, 7) TLB_ZERO8(8, 9, 10, 11, 12, 13, 14, 15)                     \
                       TLB_ZERO8(16, 17, 18, 19, 20, 21, 22, 23) TLB_ZERO(30) TLB_ZERO(31)                       \
                   "1:\n\t" TLB_FMA8(P, 0, 1, 2, 3, 4, 5, 6, 7) TLB_FMA8(P, 8, 9, 10, 11, 12, 13, 14, 15)        \
                       TLB_FMA8(P, 16, 17, 18, 19, 20, 21, 22, 23) "dec %0\n\tjnz 1b\n\t"                        \
                   : "+r"(trips)                                                                                 \
                   :                                                                                             \
                   : TLB_CLOBBER8(0, 1, 2, 3, 4, 5, 6, 7), TLB_CLOBBER8(8, 9, 10, 11, 12, 13, 14, 15),          \
                     TLB_CLOBBER8(16, 17, 18, 19, 20, 21, 22, 23), "xmm30", "xmm31", "cc");                      \
    }                                                                                                            \
  }
TLB_DEFINE_FMA_LOOP(fma_loop_ps, "s")
TLB_DEFINE_FMA_LOOP(fma_loop_pd, "d")

template <char P, int Acc>
void peak_fma(benchmark::State& st) {
  constexpr long trips = 4096;
  for (auto _ : st) {
    if constexpr (P == 's') fma_loop_ps<Acc>(trips);
    else fma_loop_pd<Acc>(trips);
  }
  const double lanes = P == 's' ? 16 : 8;
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * lanes * Acc * trips, benchmark::Counter::kIsIterationInvariantRate);
}
#define TLB_HAVE_PEAK 1
#endif

}  // namespace tlbench
