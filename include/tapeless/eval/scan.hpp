#pragma once
// A scan: one step applied T times to a carried state, and the reverse pass
// that walks the steps backwards. trajectory (T chosen at run time,
// eval/trajectory.hpp) and the repeat loop node (T = N blocks, fixed at
// compile time, ops/repeat.hpp) both run on it.
//
// Store or recompute. With checkpoints every k steps the forward pass keeps
// the state at the start of every stretch of k steps (t = k, 2k, ...) and
// the node values of one stretch at a time, step t's in slot t % k. The
// reverse pass walks the stretches from the last: a stretch other than the
// last is first recomputed from its checkpoint (the last one's values are
// still in place), then its steps are reversed, last first. Memory:
// ⌈T/k⌉ - 1 states and k steps' values; price: one more forward
// evaluation of every step outside the last stretch. k = T keeps every
// step and recomputes nothing. Both ways run the same arithmetic on the
// same numbers, so they give the same bits.

#include <algorithm>
#include <cstddef>

namespace tapeless::detail {

struct scan_plan {
  std::size_t steps = 0;  // T
  std::size_t every = 1;  // k, in [1, max(T, 1)]

  // k = `every`, or T when every step is kept (every = 0 or every ≥ T).
  static constexpr scan_plan of(std::size_t steps, std::size_t every) {
    const std::size_t T = std::max<std::size_t>(steps, 1);
    return {steps, every == 0 ? T : std::min(every, T)};
  }
  constexpr std::size_t stretches() const { return (steps + every - 1) / every; }
  // States kept at stretch starts: ⌈T/k⌉ - 1.
  constexpr std::size_t saved_states() const { return steps == 0 ? 0 : stretches() - 1; }
};

// The forward pass: save(c) keeps the current state as checkpoint c before
// step t = (c + 1) k runs; step(t, slot) runs step t with its node values
// in slot t % k and advances the state.
template <class Save, class Step>
void scan_forward(scan_plan plan, Save&& save, Step&& step) {
  for (std::size_t t = 0; t < plan.steps; ++t) {
    if (t % plan.every == 0 && t > 0) save(t / plan.every - 1);
    step(t, t % plan.every);
  }
}

// The reverse pass over the values scan_forward left: restore(c) makes the
// state at the start of stretch c current (the initial state for c = 0,
// checkpoint c - 1 otherwise) before step(t, slot) recomputes the stretch;
// back(t, slot) reverses step t. Returns the number of steps recomputed.
template <class Restore, class Step, class Back>
std::size_t scan_reverse(scan_plan plan, Restore&& restore, Step&& step, Back&& back) {
  std::size_t recomputed = 0;
  const std::size_t stretches = plan.stretches();
  for (std::size_t c = stretches; c-- > 0;) {
    const std::size_t first = c * plan.every, end = std::min(plan.steps, first + plan.every);
    if (c + 1 < stretches) {
      restore(c);
      for (std::size_t t = first; t < end; ++t) step(t, t - first);
      recomputed += end - first;
    }
    for (std::size_t t = end; t-- > first;) back(t, t - first);
  }
  return recomputed;
}

}  // namespace tapeless::detail
