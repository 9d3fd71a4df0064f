#pragma once
// Data-parallel training over MPI: every process (rank) holds the whole
// model and the whole data set, computes the gradient of its shard of
// every minibatch, and one sum over the processes per step, of the flat
// gradient buffer, gives every process the same mean gradient, so that
// every process takes the same optimizer step.
//
//   #include <tapeless/dist/mpi.hpp>
//
//   int main(int argc, char** argv) {
//     tapeless::dist::environment mpi(argc, argv);  // MPI_Init ... MPI_Finalize
//     tapeless::dist::communicator world;           // MPI_COMM_WORLD
//     P params; tapeless::init::initialize(P, tapeless::init::he_normal, 42);
//     tapeless::dist::broadcast(P, 0, world);       // (or the same seed everywhere)
//     train::fit_classifier(loss, logits, P, optimizer, split.train, split.test, options, world);
//   }
//
// and `mpirun -n 4 ./train` (or `srun`). Optional: include this header only
// when MPI is there (Debian: libopenmpi-dev); nothing else in tapeless
// needs it.
//
// - environment initializes MPI (MPI_THREAD_FUNNELED: only the thread that
//   called it talks to MPI, which is how fit works, threads or not) and
//   finalizes it when it goes out of scope, unless MPI was already
//   initialized by someone else: then it leaves both to them.
// - communicator duplicates a communicator (MPI_COMM_WORLD by default), so
//   tapeless's messages never mix with the program's own, and turns every
//   MPI failure on it into dist::mpi_error (MPI_ERRORS_RETURN on the
//   duplicate) instead of MPI's default abort.
// - communicator::allreduce_sum is the sum that fit needs (a
//   train::process_group): deterministic. The buffer is cut into one slice
//   per process; each process receives its slice from every process
//   (MPI_Alltoallv) and adds the contributions in rank order, 0, 1, 2, ...;
//   then every process receives every slice from its owner
//   (MPI_Allgatherv). So every process gets the same bits, and the same
//   run gives the same bits again, whatever algorithm the MPI library
//   picks for its own reductions. It moves 2 (N - 1)/N times the buffer
//   per process, as a ring allreduce does.
// - allreduce_mean(G, comm) is that sum divided by the number of processes.
// - broadcast(P, root, comm) copies one process's parameters to all.
// - check_identical(P, comm) compares the parameters of all processes (a
//   CRC-32 each, gathered), and where they differ throws mismatch_error on
//   every process, naming the first differing process and parameter
//   element.
//
// Every call here is collective: every process of the communicator must
// make it, in the same order, with buffers of the same size.

#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // the C API only (MPI's C++ bindings were removed in MPI-3)
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <tapeless/core/params.hpp>
#include <tapeless/io/crc32.hpp>
#include <tapeless/train/process_group.hpp>

namespace tapeless::dist {

// An MPI call that failed: what was called and MPI's own message.
class mpi_error : public std::runtime_error {
 public:
  mpi_error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }  // MPI's error code

 private:
  int code_;
};

// Processes whose parameters differ: thrown by check_identical on every
// process alike.
class mismatch_error : public std::runtime_error {
 public:
  mismatch_error(const std::string& what, std::size_t process, std::string parameter)
      : std::runtime_error(what), process_(process), parameter_(std::move(parameter)) {}
  std::size_t process() const noexcept { return process_; }  // the first process that differs from process 0
  const std::string& parameter() const noexcept { return parameter_; }  // "fc1.W[3, 5]"

 private:
  std::size_t process_;
  std::string parameter_;
};

namespace detail {

inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw mpi_error("tapeless: " + std::string(call) + " failed: " + std::string(text, std::size_t(length)), code);
}

inline bool mpi_initialized() {
  int initialized = 0, finalized = 0;
  check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
  check_mpi(MPI_Finalized(&finalized), "MPI_Finalized");
  return initialized && !finalized;
}

template <class T>
MPI_Datatype datatype() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "tapeless: dist: float or double numbers");
  if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else
    return MPI_DOUBLE;
}

}  // namespace detail

// MPI for the lifetime of this object (see the top).
class environment {
 public:
  environment(int& argc, char**& argv) { start(&argc, &argv); }
  environment() { start(nullptr, nullptr); }
  ~environment() {
    int finalized = 1;
    if (owns_ && MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Finalize();
  }
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  // Whether this object initialized MPI (and so will finalize it).
  bool owns_mpi() const noexcept { return owns_; }

 private:
  void start(int* argc, char*** argv) {
    int initialized = 0;
    detail::check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
    if (initialized) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owns_ = true;
  }
  bool owns_ = false;
};

// A duplicate of an MPI communicator, for tapeless's messages (see the top).
class communicator {
 public:
  explicit communicator(MPI_Comm comm = MPI_COMM_WORLD) {
    if (!detail::mpi_initialized())
      throw mpi_error("tapeless: dist::communicator: MPI is not initialized (create a dist::environment first)",
                      MPI_ERR_OTHER);
    detail::check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    int rank = 0, size = 0;
    detail::check_mpi(MPI_Comm_rank(comm_, &rank), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size), "MPI_Comm_size");
    rank_ = std::size_t(rank);
    size_ = std::size_t(size);
  }
  ~communicator() {
    int finalized = 1;
    if (comm_ != MPI_COMM_NULL && MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Comm_free(&comm_);
  }
  communicator(const communicator&) = delete;
  communicator& operator=(const communicator&) = delete;

  std::size_t rank() const noexcept { return rank_; }
  std::size_t size() const noexcept { return size_; }
  MPI_Comm native() const noexcept { return comm_; }

  // Every number replaced by its sum over the processes, added in rank order
  // (see the top). The scratch space is kept between calls: a step of the
  // same size allocates nothing.
  void allreduce_sum(std::span<float> data) { sum_in_rank_order(data, scratch_float_); }
  void allreduce_sum(std::span<double> data) { sum_in_rank_order(data, scratch_double_); }

  // data of process `root` copied to every process.
  template <class T>
  void broadcast(std::span<T> data, std::size_t root) {
    check_root(root, "broadcast");
    for (std::size_t first = 0; first < data.size(); first += std::size_t(INT_MAX)) {
      const int count = int(std::min<std::size_t>(data.size() - first, std::size_t(INT_MAX)));
      detail::check_mpi(MPI_Bcast(data.data() + first, count, detail::datatype<T>(), int(root), comm_), "MPI_Bcast");
    }
  }

  // One number from every process, in rank order.
  std::vector<std::uint64_t> allgather(std::uint64_t mine) {
    std::vector<std::uint64_t> all(size_);
    detail::check_mpi(MPI_Allgather(&mine, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, comm_), "MPI_Allgather");
    return all;
  }
  std::vector<double> allgather(std::span<const double> mine) {
    std::vector<double> all(size_ * mine.size());
    detail::check_mpi(MPI_Allgather(mine.data(), int(mine.size()), MPI_DOUBLE, all.data(), int(mine.size()),
                                    MPI_DOUBLE, comm_),
                      "MPI_Allgather");
    return all;
  }

 private:
  void check_root(std::size_t root, const char* call) const {
    if (root >= size_)
      throw std::invalid_argument("tapeless: dist::" + std::string(call) + ": root " + std::to_string(root) +
                                  " is not a process of this communicator (" + std::to_string(size_) + " processes)");
  }

  template <class T>
  void sum_in_rank_order(std::span<T> data, std::vector<T>& scratch) {
    if (size_ == 1) return;
    if (data.size() > std::size_t(INT_MAX))
      throw std::invalid_argument("tapeless: dist::communicator::allreduce_sum: " + std::to_string(data.size()) +
                                  " numbers, more than MPI's int counts reach (" + std::to_string(INT_MAX) + ")");
    // Slice r of the buffer belongs to process r: where it lies, and (to
    // receive) this process's slice from each process, one after another.
    counts_.resize(size_);
    offsets_.resize(size_);
    mine_counts_.resize(size_);
    mine_offsets_.resize(size_);
    const train::shard mine = train::shard_of(data.size(), rank_, size_);
    for (std::size_t r = 0; r < size_; ++r) {
      const train::shard slice = train::shard_of(data.size(), r, size_);
      counts_[r] = int(slice.size());
      offsets_[r] = int(slice.first);
      mine_counts_[r] = int(mine.size());
      mine_offsets_[r] = int(r * mine.size());
    }
    scratch.resize(size_ * mine.size());
    const MPI_Datatype type = detail::datatype<T>();
    detail::check_mpi(MPI_Alltoallv(data.data(), counts_.data(), offsets_.data(), type, scratch.data(),
                                    mine_counts_.data(), mine_offsets_.data(), type, comm_),
                      "MPI_Alltoallv");
    for (std::size_t j = 0; j < mine.size(); ++j) {
      T sum = scratch[j];
      for (std::size_t r = 1; r < size_; ++r) sum += scratch[r * mine.size() + j];
      data[mine.first + j] = sum;
    }
    detail::check_mpi(
        MPI_Allgatherv(MPI_IN_PLACE, 0, type, data.data(), counts_.data(), offsets_.data(), type, comm_),
        "MPI_Allgatherv");
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::size_t rank_ = 0;
  std::size_t size_ = 1;
  std::vector<int> counts_, offsets_, mine_counts_, mine_offsets_;
  std::vector<float> scratch_float_;
  std::vector<double> scratch_double_;
};

static_assert(train::process_group<communicator>);

// G replaced by its mean over the processes (the sum in rank order, then
// divided by their number).
template <class ParamSet>
void allreduce_mean(ParamSet& G, communicator& comm) {
  using E = typename ParamSet::element_type;
  std::span<E> data(G.data(), ParamSet::size());
  comm.allreduce_sum(data);
  const E scale = E(1) / E(comm.size());
  for (E& g : data) g *= scale;
}

// P of process `root` copied to every process.
template <class ParamSet>
void broadcast(ParamSet& P, std::size_t root, communicator& comm) {
  comm.broadcast(std::span<typename ParamSet::element_type>(P.data(), ParamSet::size()), root);
}

// Throws mismatch_error on every process unless all processes hold the same
// bits in P (see the top). A process that differs is compared with process
// 0 number by number, bit for bit (so -0 differs from 0, and a NaN from any
// other NaN bits).
template <class ParamSet>
void check_identical(const ParamSet& P, communicator& comm) {
  using E = typename ParamSet::element_type;
  const std::span<const E> mine(P.data(), ParamSet::size());
  const auto bytes = std::as_bytes(mine);
  const std::uint32_t crc = tapeless::detail::crc32(
      std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
  const std::vector<std::uint64_t> crcs = comm.allgather(std::uint64_t(crc));
  if (std::all_of(crcs.begin(), crcs.end(), [&](std::uint64_t c) { return c == crcs[0]; })) return;

  // Where: every process finds its first number that differs from process 0's.
  std::vector<E> reference(mine.begin(), mine.end());
  comm.broadcast(std::span<E>(reference), 0);
  double first = -1;
  for (std::size_t k = 0; k < reference.size() && first < 0; ++k)
    if (std::memcmp(&reference[k], &mine[k], sizeof(E)) != 0) first = double(k);
  const std::array<double, 3> found{first, first < 0 ? 0.0 : double(reference[std::size_t(first)]),
                                    first < 0 ? 0.0 : double(mine[std::size_t(first)])};
  const std::vector<double> all = comm.allgather(std::span<const double>(found));
  std::size_t process = 0, differing = 0;
  for (std::size_t r = comm.size(); r-- > 1;)
    if (all[3 * r] >= 0) {
      process = r;
      ++differing;
    }
  if (differing == 0)  // not reached: a process whose checksum is not process 0's holds a different number
    throw mismatch_error("tapeless: dist::check_identical: the processes' parameter checksums differ", 0, "");
  const auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*g", std::is_same_v<E, float> ? 9 : 17, v);  // enough to tell them apart
    return std::string(text);
  };
  const std::size_t k = std::size_t(all[3 * process]);
  std::string where = "element " + std::to_string(k);
  for (const leaf_info& leaf : ParamSet::layout_info())
    if (k >= leaf.offset && k < leaf.offset + leaf.size) where = tapeless::detail::leaf_element_name(leaf, k - leaf.offset);
  std::string what = "tapeless: dist::check_identical: process " + std::to_string(process) +
                     "'s parameters differ from process 0's, first at " + where + ": " +
                     number(all[3 * process + 1]) + " on process 0, " + number(all[3 * process + 2]) + " on process " +
                     std::to_string(process);
  if (differing > 1) what += " (" + std::to_string(differing) + " processes differ from process 0)";
  throw mismatch_error(what, process, where);
}

}  // namespace tapeless::dist
