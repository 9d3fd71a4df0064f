#pragma once
// A batch split over threads, with reproducible results.
//
//   parallel_batch_engine<decltype(loss), decltype(P)> engine(4);   // 4 threads, started once
//   float L = engine.value_and_grad_into(P, G, n, bind<"x">(soa(xs)), bind<"y">(ys));
//
// The n samples are cut into one contiguous chunk per thread (each a
// multiple of the engine's lane count, except the last). Every thread runs
// its own batch_engine on its chunk into its own gradient buffer; the
// buffers and the partial losses are then added in thread order. The cut
// depends only on n and the thread count, so a given thread count always
// gives the same bits; different thread counts round differently.
//
// The threads are created by the constructor and wait between calls; a
// call allocates nothing. Sizes are checked on the calling thread before
// any work starts, so a size error throws there and writes nothing.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include <tapeless/eval/batch.hpp>

namespace tapeless {

template <expression Root, class ParamSet, std::size_t Pack = detail::default_pack<Root, ParamSet>(),
          class Arch = xsimd::default_arch>
class parallel_batch_engine {
 public:
  using element_type = typename ParamSet::element_type;
  using engine_type = batch_engine<Root, ParamSet, Pack, Arch>;

  explicit parallel_batch_engine(std::size_t threads) : slots_(threads == 0 ? 1 : threads) {
    for (auto& slot : slots_) slot = std::make_unique<slot_state>();
    for (std::size_t t = 1; t < slots_.size(); ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~parallel_batch_engine() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      ++generation_;
    }
    wake_.notify_all();
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
  struct slot_state {
    engine_type engine;
    ParamSet grad;
    element_type loss{};
  };

  template <class... B>
  element_type run(const ParamSet& P, ParamSet& G, std::size_t n, bool mean, const B&... bindings) {
    if constexpr (!(detail::params_fit<Root, ParamSet>() && detail::bindings_fit<Root, B...>())) {
      return element_type(0);
    } else {
      detail::check_batch_inputs<Root>(n, bindings...);
      const element_type scale = mean && n > 0 ? element_type(1) / element_type(n) : element_type(1);
      const std::size_t T = slots_.size();
      // Chunk size: n / T rounded up to whole lane packs.
      const std::size_t lanes = engine_type::lanes;
      const std::size_t chunk = ((n + T - 1) / T + lanes - 1) / lanes * lanes;

      auto job = [&](std::size_t t) {
        const std::size_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
        slot_state& s = *slots_[t];
        s.loss = s.engine.template sweep_range<true>(P, &s.grad, n, begin, end, scale, bindings...);
      };
      dispatch(job);

      element_type loss = slots_[0]->loss;
      G = slots_[0]->grad;
      for (std::size_t t = 1; t < T; ++t) {
        loss += slots_[t]->loss;
        const element_type* part = slots_[t]->grad.data();
        element_type* out = G.data();
        for (std::size_t k = 0; k < ParamSet::size(); ++k) out[k] += part[k];
      }
      return loss;
    }
  }

  // Runs job(t) for every thread t: 0 on the caller, the others on the
  // workers; returns when all are done.
  template <class Job>
  void dispatch(Job& job) {
    {
      std::lock_guard lock(mutex_);
      job_ = &job;
      call_ = [](void* j, std::size_t t) { (*static_cast<Job*>(j))(t); };
      pending_ = workers_.size();
      ++generation_;
    }
    wake_.notify_all();
    job(0);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
  }

  void work(std::size_t t) {
    std::size_t seen = 0;
    for (;;) {
      void* job;
      void (*call)(void*, std::size_t);
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        job = job_;
        call = call_;
      }
      call(job, t);
      {
        std::lock_guard lock(mutex_);
        --pending_;
      }
      done_.notify_one();
    }
  }

  std::vector<std::unique_ptr<slot_state>> slots_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::size_t generation_ = 0, pending_ = 0;
  bool stopping_ = false;
  void* job_ = nullptr;
  void (*call_)(void*, std::size_t) = nullptr;
};

}  // namespace tapeless
