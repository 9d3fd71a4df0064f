#pragma once
// A batch split over threads, with reproducible results.
//
//   parallel_batch_engine<decltype(loss), decltype(P)> engine(4);   // 4 threads, started once
//   float L = engine.value_and_grad_into(P, G, n, bind<"x">(soa(xs)), bind<"y">(ys));
//
// The n samples are cut into one contiguous chunk per thread (each a
// multiple of the engine's lane count, except the last). Every chunk's
// gradient goes into its own buffer; then G is the sum of the buffers in
// chunk order, and the loss the sum of the chunks' losses in chunk order.
// The cut depends only on n and the thread count, and a chunk's result
// does not depend on which thread computes it, so a given thread count
// always gives the same bits; different thread counts round differently.
// A batch of one chunk (at most one sweep of lanes) runs on the calling
// thread alone.
//
// A call is a list of work items: the chunks, then slices of the parameter
// range for the final sum (up to one per thread, each of at least 8192
// parameters; a single slice below that). Every thread, the caller included, claims the next unclaimed
// item until none is left, so a worker that is slow to wake (its core busy
// with other work) delays nothing it has not started: the caller takes its
// chunk. A slice starts once every chunk has finished.
//
// The threads are created by the constructor. Between calls a worker
// spins for up to 50 microseconds (with the CPU's pause hint) on an atomic
// call counter, then sleeps on a condition variable; the caller waits for
// the last item the same way. A training loop's steps follow each other
// within the spin, so a call costs no system call and no wake-up latency;
// a worker that went to sleep costs one notify. When the other cores are
// busy with other programs, threads cannot help, and a worker descheduled
// in the middle of its chunk would hold up the caller for a time slice:
// the caller then runs the following calls alone (see dispatch). A call
// allocates nothing. Sizes are checked on the calling thread before any
// work starts, so a size error throws there and writes nothing.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <tapeless/eval/batch.hpp>

namespace tapeless {

namespace detail {

// A hint to the CPU inside a spin loop (less power, and on SMT cores the
// sibling thread gets the pipeline).
inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

// Spins until done() or about `limit` has passed; whether done() held.
template <class Done>
bool spin_until(Done done, std::chrono::nanoseconds limit) {
  if (done()) return true;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      spin_pause();
      if (done()) return true;
    }
    if (std::chrono::steady_clock::now() - start > limit) return false;
  }
}

}  // namespace detail

template <expression Root, class ParamSet, std::size_t Pack = detail::default_pack<Root, ParamSet>(),
          class Arch = xsimd::default_arch>
class parallel_batch_engine {
 public:
  using element_type = typename ParamSet::element_type;
  using engine_type = batch_engine<Root, ParamSet, Pack, Arch>;

  // How long an idle worker (or the caller waiting for the last item) spins
  // before it sleeps.
  static constexpr std::chrono::microseconds spin_limit{50};

  explicit parallel_batch_engine(std::size_t threads) {
    const std::size_t T = threads == 0 ? 1 : threads;
    if (T > max_threads)
      throw std::invalid_argument("tapeless: parallel_batch_engine: at most " + std::to_string(max_threads) +
                                  " threads");
    slots_.resize(T);
    for (auto& slot : slots_) slot = std::make_unique<slot_state>();
    chunks_.resize(T);
    for (auto& chunk : chunks_) chunk = std::make_unique<chunk_state>();
    for (std::size_t t = 1; t < T; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~parallel_batch_engine() {
    stopping_.store(true, std::memory_order_relaxed);
    (void)publish(0);  // a call without items: every worker sees it, then stopping_
    for (auto& w : workers_) w.join();
  }
  parallel_batch_engine(const parallel_batch_engine&) = delete;
  parallel_batch_engine& operator=(const parallel_batch_engine&) = delete;

  std::size_t threads() const { return slots_.size(); }

  // Loss summed (or averaged with mean_over_batch) over the n samples; G is
  // overwritten with the gradient.
  template <class... Options_and_bindings>
  element_type value_and_grad_into(const ParamSet& P, ParamSet& G, std::size_t n,
                                   const Options_and_bindings&... args) {
    constexpr bool mean = (std::is_same_v<Options_and_bindings, mean_over_batch_t> || ...);
    auto bindings = detail::filter_bindings(args...);
    return std::apply([&](const auto&... b) { return run(P, G, n, mean, b...); }, bindings);
  }

 private:
  // The claim word: the call's number (high 32 bits), its item count (16
  // bits) and the next unclaimed item (16 bits). One atomic word, so a
  // worker still looking at an earlier call can never claim an item of a
  // later one.
  static constexpr std::size_t max_threads = 4096;  // items = chunks + slices <= 2 * threads < 2^16
  static constexpr std::uint64_t item_bits = 16, item_mask = (std::uint64_t(1) << item_bits) - 1;
  static constexpr std::uint32_t call_of(std::uint64_t word) { return std::uint32_t(word >> 32); }
  static constexpr std::size_t items_of(std::uint64_t word) { return std::size_t((word >> item_bits) & item_mask); }
  static constexpr std::size_t next_of(std::uint64_t word) { return std::size_t(word & item_mask); }

  // Slices of at least this many parameters each when the final sum is
  // split over the threads.
  static constexpr std::size_t min_slice = 8192;

  // One per thread, each in its own cache lines.
  struct alignas(128) slot_state {
    engine_type engine;
  };
  // One per chunk: its gradient and loss.
  struct alignas(128) chunk_state {
    ParamSet grad;
    element_type loss{};
  };
  // A counter alone in its cache lines.
  struct alignas(128) padded_counter {
    std::atomic<std::size_t> value{0};
  };

  template <class... B>
  element_type run(const ParamSet& P, ParamSet& G, std::size_t n, bool mean, const B&... bindings) {
    if constexpr (!(detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>())) {
      return element_type(0);
    } else {
      detail::check_batch_inputs<Root>(n, bindings...);
      const element_type scale = mean && n > 0 ? element_type(1) / element_type(n) : element_type(1);
      const std::size_t T = slots_.size();
      // Chunk size: n / T rounded up to whole lane packs; the chunks that
      // hold samples. Rounded up by division, so that no sum wraps around
      // for any n.
      const std::size_t lanes = engine_type::lanes;
      const auto ceil_div = [](std::size_t a, std::size_t b) { return a / b + (a % b != 0 ? 1 : 0); };
      const std::size_t sweeps = ceil_div(ceil_div(n, T), lanes);
      const std::size_t chunk = sweeps > std::numeric_limits<std::size_t>::max() / lanes ? n : sweeps * lanes;
      const std::size_t K = chunk == 0 ? 0 : ceil_div(n, chunk);
      if (K <= 1)  // one chunk (or none): nothing to share
        return slots_[0]->engine.template sweep_range<true>(P, &G, n, 0, n, scale, bindings...);

      // Slices of the final sum: whole cache lines of parameters.
      constexpr std::size_t line = 64 / sizeof(element_type) > 0 ? 64 / sizeof(element_type) : 1;
      const std::size_t S = std::clamp<std::size_t>(ParamSet::size() / min_slice, 1, T);
      const std::size_t slice = (ParamSet::size() / S + line - 1) / line * line;

      auto item = [&](std::size_t i, std::size_t t) {
        if (i < K) {
          const std::size_t begin = i * chunk, end = n - begin < chunk ? n : begin + chunk;
          chunk_state& c = *chunks_[i];
          c.loss = slots_[t]->engine.template sweep_range<true>(P, &c.grad, n, begin, end, scale, bindings...);
          chunks_done_.value.fetch_add(1, std::memory_order_release);
          return;
        }
        // Slice i - K of G = chunk 0 + chunk 1 + ... in chunk order, once
        // every chunk is done.
        const std::size_t begin = std::min(ParamSet::size(), (i - K) * slice);
        const std::size_t end = i + 1 == K + S ? ParamSet::size() : std::min(ParamSet::size(), begin + slice);
        const auto all_chunks = [&] { return chunks_done_.value.load(std::memory_order_acquire) == K; };
        while (!detail::spin_until(all_chunks, spin_limit)) std::this_thread::yield();
        element_type* out = G.data();
        const element_type* first = chunks_[0]->grad.data();
        for (std::size_t k = begin; k < end; ++k) out[k] = first[k];
        for (std::size_t c = 1; c < K; ++c) {
          const element_type* part = chunks_[c]->grad.data();
          for (std::size_t k = begin; k < end; ++k) out[k] += part[k];
        }
      };
      chunks_done_.value.store(0, std::memory_order_relaxed);
      dispatch(item, K, K + S);

      element_type loss = chunks_[0]->loss;
      for (std::size_t c = 1; c < K; ++c) loss += chunks_[c]->loss;
      return loss;
    }
  }

  // The caller's own chunks in a call: how many and how long.
  struct caller_share {
    std::size_t chunks = 0;  // items below this are chunks
    std::size_t ran = 0;
    std::chrono::steady_clock::duration time{};
  };

  // Runs item(i, t) for every item i < items (the first `chunks` of them
  // chunks), t being the thread that runs it (0 is the caller); returns
  // when all are done.
  //
  // When the workers' cores are busy with other programs, a worker can be
  // descheduled in the middle of a chunk, and the caller waits for it for a
  // whole time slice (milliseconds). So the caller times its calls: one
  // that took longer than the caller's own chunks would have taken it
  // alone (its chunk time times chunks / its chunks) is slow, and the next
  // calls run on the caller alone (the same items, so the same bits), 16
  // after the first slow call, twice as many after each further one, up to
  // 1024; 256 calls in a row that were not slow halve that count again.
  template <class Item>
  void dispatch(Item& item, std::size_t chunks, std::size_t items) {
    if (alone_left_ > 0) {
      --alone_left_;
      for (std::size_t i = 0; i < items; ++i) item(i, 0);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    job_ = &item;
    call_ = [](void* j, std::size_t i, std::size_t t) { (*static_cast<Item*>(j))(i, t); };
    done_.value.store(0, std::memory_order_relaxed);
    const bool woke = publish(items);
    caller_share own{.chunks = chunks};
    take_items(0, &own);
    const auto all_done = [&] { return done_.value.load(std::memory_order_acquire) == items; };
    if (!detail::spin_until(all_done, spin_limit)) {
      std::unique_lock lock(mutex_);
      caller_sleeping_.store(true, std::memory_order_seq_cst);
      finished_.wait(lock, [&] { return done_.value.load(std::memory_order_seq_cst) == items; });
      caller_sleeping_.store(false, std::memory_order_relaxed);
    }
    // A call that had to wake a worker is not judged: a sleeping core can
    // take long to wake, the next call finds the worker spinning.
    if (woke) return;
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (own.ran > 0 && elapsed * own.ran > own.time * chunks) {
      backoff_ = std::clamp<std::size_t>(2 * backoff_, 16, 1024);
      alone_left_ = backoff_;
      good_calls_ = 0;
    } else if (++good_calls_ == 256) {
      backoff_ /= 2;
      good_calls_ = 0;
    }
  }

  // Starts call number ++calls_ with `items` items and wakes sleeping
  // workers; whether there were any. The job and counters written before
  // are visible to whoever claims an item (release here, acquire in the
  // claim).
  bool publish(std::size_t items) {
    ++calls_;
    claim_.store((std::uint64_t(calls_) << 32) | (std::uint64_t(items) << item_bits), std::memory_order_seq_cst);
    // A worker about to sleep counts itself in sleepers_ and then checks
    // claim_ (both seq_cst): either it sees this call, or this load sees it
    // and the notify below (under the mutex) reaches its wait.
    if (sleepers_.load(std::memory_order_seq_cst) == 0) return false;
    { std::lock_guard lock(mutex_); }
    wake_.notify_all();
    return true;
  }

  // Claims and runs items of the current call until none is left; the
  // call's number. The caller passes `own` to have its chunks timed.
  std::uint32_t take_items(std::size_t t, caller_share* own = nullptr) {
    std::uint64_t word = claim_.load(std::memory_order_acquire);
    for (;;) {
      if (next_of(word) >= items_of(word)) return call_of(word);
      if (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acquire, std::memory_order_acquire))
        continue;
      if (own && next_of(word) < own->chunks) {
        const auto begin = std::chrono::steady_clock::now();
        call_(job_, next_of(word), t);
        own->time += std::chrono::steady_clock::now() - begin;
        ++own->ran;
      } else {
        call_(job_, next_of(word), t);
      }
      if (done_.value.fetch_add(1, std::memory_order_seq_cst) + 1 == items_of(word) &&
          caller_sleeping_.load(std::memory_order_seq_cst)) {
        { std::lock_guard lock(mutex_); }
        finished_.notify_one();
      }
      word = claim_.load(std::memory_order_acquire);
    }
  }

  void work(std::size_t t) {
    std::uint32_t seen = 0;
    const auto new_call = [&] { return call_of(claim_.load(std::memory_order_acquire)) != seen; };
    for (;;) {
      if (!detail::spin_until(new_call, spin_limit)) {
        std::unique_lock lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return call_of(claim_.load(std::memory_order_seq_cst)) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      seen = take_items(t);
      // After the items: the call that stops the workers may be the one
      // take_items saw last (it has no items), and then no later call comes.
      if (stopping_.load(std::memory_order_acquire)) return;
    }
  }

  std::vector<std::unique_ptr<slot_state>> slots_;
  std::vector<std::unique_ptr<chunk_state>> chunks_;
  std::vector<std::thread> workers_;

  // Written by the caller only, read by workers after a claim.
  void* job_ = nullptr;
  void (*call_)(void*, std::size_t, std::size_t) = nullptr;
  std::uint32_t calls_ = 0;
  // The caller's fallback to running calls alone (see dispatch).
  std::size_t alone_left_ = 0, backoff_ = 0, good_calls_ = 0;

  alignas(128) std::atomic<std::uint64_t> claim_{0};
  padded_counter chunks_done_, done_;
  alignas(128) std::atomic<std::size_t> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false}, stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
};

}  // namespace tapeless
