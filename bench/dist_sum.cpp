// The sum of a gradient buffer over processes (dist/mpi.hpp's
// communicator::allreduce_sum, in rank order) against MPI's own
// MPI_Allreduce (its order of additions left to the library), same buffer,
// same processes. Not a Google Benchmark: every timed call is collective,
// so the processes start each repetition together (a barrier, not timed).
//
//   mpiexec -n 2 build-bench/bench/dist_sum [repetitions]
//
// Prints, for each buffer size (the digits MLP's step message, 4 812
// floats, then 64 Ki and 1 Mi floats), the median and the 90th percentile
// of each, in microseconds, and their ratio.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <tapeless/dist/mpi.hpp>
#include <vector>

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::size_t(p * double(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  tapeless::dist::environment mpi(argc, argv);
  tapeless::dist::communicator comm;
  const int repetitions = argc > 1 ? std::atoi(argv[1]) : 2000;
  if (comm.rank() == 0)
    std::printf("%zu processes, %d repetitions; microseconds per sum\n%10s %22s %22s %8s\n", comm.size(), repetitions,
                "floats", "rank order: median p90", "MPI_Allreduce: median p90", "ratio");
  for (const std::size_t n : {std::size_t(4812), std::size_t(1) << 16, std::size_t(1) << 20}) {
    std::vector<float> data(n), out(n);
    std::vector<double> ours, theirs;
    const int reps = n > 100000 ? std::max(repetitions / 20, 10) : repetitions;
    for (int r = 0; r < reps; ++r) {
      std::fill(data.begin(), data.end(), float(comm.rank() + 1));
      MPI_Barrier(comm.native());
      const auto a = std::chrono::steady_clock::now();
      comm.allreduce_sum(std::span<float>(data));
      const auto b = std::chrono::steady_clock::now();
      MPI_Barrier(comm.native());
      const auto c = std::chrono::steady_clock::now();
      MPI_Allreduce(data.data(), out.data(), int(n), MPI_FLOAT, MPI_SUM, comm.native());
      const auto d = std::chrono::steady_clock::now();
      ours.push_back(1e6 * std::chrono::duration<double>(b - a).count());
      theirs.push_back(1e6 * std::chrono::duration<double>(d - c).count());
    }
    if (comm.rank() == 0)
      std::printf("%10zu %12.1f %9.1f %14.1f %9.1f %8.2f\n", n, percentile(ours, 0.5), percentile(ours, 0.9),
                  percentile(theirs, 0.5), percentile(theirs, 0.9), percentile(ours, 0.5) / percentile(theirs, 0.5));
  }
  return 0;
}
