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
// Not under AddressSanitizer: it changes no result, and inlining every
// instrumented call made sanitizer builds twice as slow to compile
// (test/batch_test.cpp with g++ 12 -O1: 126 s, 65 s without).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPELESS_SANITIZED_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TAPELESS_SANITIZED_BUILD 1
#endif
#if !defined(TAPELESS_FLATTEN)
#if defined(__GNUC__) && !defined(TAPELESS_SANITIZED_BUILD)
#define TAPELESS_FLATTEN __attribute__((flatten))
#else
#define TAPELESS_FLATTEN
#endif
#endif
