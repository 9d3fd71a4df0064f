#pragma once
// How much of the caller's stack an entry point may take.
//
// The one-call entry points (value, value_and_grad, value_and_grad_into,
// value_and_grad_accumulate, vjp, jvp; value_and_grad_batch, value_batch,
// value_batch_into) keep their workspace and their result on the caller's
// stack: no allocation, and the sizes are compile-time constants. When
// those bytes pass TAPELESS_STACK_LIMIT (256 KiB unless defined before the
// first tapeless header) the call does not compile; the static_assert names
// the bytes and the limit as the template arguments of
// `stack_bytes_over_limit<Bytes, Limit>` and says which engine to keep
// instead: sample_engine (eval/sample_engine.hpp) for one sample,
// batch_engine or batch_predictor for batches. An engine holds its
// workspace on the heap, allocated once; its calls allocate nothing.
//
// 256 KiB leaves room below the smallest stacks in common use (a thread's
// default stack is 8 MiB on glibc, 512 KiB for secondary threads on macOS,
// 128 KiB on musl) for the caller's own frames; define it higher (or lower)
// for your build, e.g. -DTAPELESS_STACK_LIMIT=1048576. Every translation
// unit of a program must see the same value.
//
// hvp and trajectory have no engine form yet: above the limit they do not
// compile either, and the message says to raise the limit and run them on
// a thread with a stack that large. jacobian, hessian and the
// multi-direction jvp (eval/wrt.hpp) have their own larger limit,
// TAPELESS_JACOBIAN_STACK_LIMIT (4 MiB by default), for the same reason.

#include <cstddef>

#ifndef TAPELESS_STACK_LIMIT
#define TAPELESS_STACK_LIMIT (std::size_t(256) << 10)
#endif

namespace tapeless {

// Bytes an entry point may keep on the caller's stack.
inline constexpr std::size_t max_stack_bytes = TAPELESS_STACK_LIMIT;

namespace detail {

// Named in the refusal: Bytes is what the call would keep on the stack,
// Limit the limit. Its own member, not std::false_type's, so that g++
// prints the arguments.
template <std::size_t Bytes, std::size_t Limit>
struct stack_bytes_over_limit {
  static constexpr bool value = false;
};

}  // namespace detail
}  // namespace tapeless
