#pragma once
// Compiler attributes the library relies on for speed.

// Forces inlining where the compiler's heuristics give up on a large but
// hot body: a blocked kernel's inner step, whose accumulators must stay in
// registers.
#if defined(__GNUC__)
#define TAPELESS_ALWAYS_INLINE __attribute__((always_inline))
#else
#define TAPELESS_ALWAYS_INLINE
#endif

// Inlines every call in a function's body, recursively: the in-register
// batch schedule, whose whole graph (sweeps, rules, loads) must become one
// loop body for its workspace to stay in registers. Only for small graphs.
#if !defined(TAPELESS_FLATTEN)
#if defined(__GNUC__)
#define TAPELESS_FLATTEN __attribute__((flatten))
#else
#define TAPELESS_FLATTEN
#endif
#endif
