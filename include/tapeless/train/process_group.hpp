#pragma once
// The processes that train one model together: train::fit and
// fit_classifier take one as their last argument (dist/mpi.hpp's
// communicator over MPI; single_process, the default, is this process
// alone).
//
// A process group has rank() in [0, size()) and allreduce_sum(span),
// which replaces every number of the span by its sum over the processes.
// The sum must come out with the same bits on every process and in every
// run with the same number of processes: the terms are added in an order
// fixed by the ranks, never in whatever order the messages arrive. fit
// relies on it to keep every process's parameters identical without
// sending them.

#include <concepts>
#include <cstddef>
#include <span>
#include <utility>

namespace tapeless::train {

template <class G>
concept process_group = requires(G& g, std::span<float> f, std::span<double> d) {
  { std::as_const(g).rank() } -> std::convertible_to<std::size_t>;
  { std::as_const(g).size() } -> std::convertible_to<std::size_t>;
  g.allreduce_sum(f);
  g.allreduce_sum(d);
};

// This process alone: every sum is its own number.
struct single_process {
  static constexpr std::size_t rank() noexcept { return 0; }
  static constexpr std::size_t size() noexcept { return 1; }
  template <class T>
  static constexpr void allreduce_sum(std::span<T>) noexcept {}
};

// Process `rank`'s share of `count` things cut into `size` contiguous parts
// in rank order: [first, last). The parts differ in size by at most one.
struct shard {
  std::size_t first = 0;
  std::size_t last = 0;
  constexpr std::size_t size() const noexcept { return last - first; }
};
constexpr shard shard_of(std::size_t count, std::size_t rank, std::size_t size) noexcept {
  // count * rank can overflow only past 2^32 things on 2^32 processes.
  return {count / size * rank + count % size * rank / size, count / size * (rank + 1) + count % size * (rank + 1) / size};
}

}  // namespace tapeless::train
