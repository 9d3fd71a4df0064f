// tapeless benchmark (issue #3): loss + full gradient of small fully
// connected networks, summed over a batch.
//
//   networks  S 2-2-1 (float, double), M 16-32-32-1 (float, double),
//             L 64-256-256-10 (float), R 16-wide x 32 residual blocks (float)
//   rows      scalar           bench/reference/scalar.hpp
//             scalar_fixed     bench/reference/scalar_fixed.hpp (compile-time sizes, per sample)
//             lanes_unblocked  bench/reference/lanes.hpp (one lane group at a time)
//             lanes_blocked    bench/reference/lanes.hpp (register blocked; the baseline)
//             eigen            bench/reference/eigen.hpp (whole-batch GEMM), if Eigen is found
//             tapeless_scalar  tapeless_impl.hpp hook
//             tapeless_simd    tapeless_impl.hpp hook
//             peak/fma_*       FMA throughput kernel (machine peak, one core)
//             adolc, sacado_rad, torch, onednn, libxsmm
//                              optional peers (bench/peers/), each only if
//                              Meson found the library
//
// Before any timing every row's loss and gradient are checked against the
// scalar reference evaluated in double on the same (promoted) data; the max
// relative error (common.hpp: max_rel_error) is printed, attached to each
// benchmark as the counter max_rel_err, and the program exits 1 after the
// run if any row exceeds the tolerance (1e-3 float, 1e-9 double).
//
// Counters: samples, ns_per_sample (seconds per sample in JSON), GFLOP/s
// (flop/s in JSON; flops per sample = 6 x number of weights, see
// common.hpp flops_per_sample), max_rel_err.  A summary table with the ratio
// to lanes_blocked of the same run (medians when --benchmark_repetitions > 1)
// is printed to stderr at the end; bench/table.py makes the same table from
// --benchmark_format=json output.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "peak.hpp"
#include "reference/lanes.hpp"
#include "reference/scalar.hpp"
#include "reference/scalar_fixed.hpp"
#if __has_include(<Eigen/Dense>)
#define TLBENCH_HAVE_EIGEN 1
#include "reference/eigen.hpp"
#endif
#include "tapeless_impl.hpp"
// Optional peers (ADOL-C, Sacado, LibTorch, oneDNN, LIBXSMM): rows only when
// built in.
#include "peers/peers.hpp"

namespace {

using namespace tlbench;

template <class T>
const char* type_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

template <class T>
using impl_fn = T (*)(const T*, const dataset<T>&, T*);

template <class T>
struct impl {
  const char* name;
  impl_fn<T> fn;
};

template <char Net, class T>
std::vector<impl<T>> impls() {
  std::vector<impl<T>> v;
  v.push_back({"scalar", &scalar_loss_grad<Net, T>});
  v.push_back({"scalar_fixed", &scalar_fixed::loss_grad<Net, T>});
  v.push_back({"lanes_unblocked", &lanes::unblocked<Net, T>});
  v.push_back({"lanes_blocked", &lanes::blocked<Net, T>});
#ifdef TLBENCH_HAVE_EIGEN
  v.push_back({"eigen", &eigen::loss_grad<Net, T>});
#endif
  v.push_back({"tapeless_scalar", &tapeless_scalar<Net, T>});
  v.push_back({"tapeless_simd", &tapeless_simd<Net, T>});
  peers::add<Net, T>(v);  // optional peers, bench/peers/peers.hpp
  return v;
}

template <char Net, class T>
struct problem {
  dataset<T> data = make_dataset<T, Net>();
  avector<T> params = make_params<T, Net>();
  static problem& get() {
    static problem p;
    return p;
  }
};

template <class T>
dataset<double> promote(const dataset<T>& d) {
  dataset<double> r;
  r.n = d.n;
  r.in = d.in;
  r.out = d.out;
  r.x_aos.assign(d.x_aos.begin(), d.x_aos.end());
  r.x_soa.assign(d.x_soa.begin(), d.x_soa.end());
  r.y_aos.assign(d.y_aos.begin(), d.y_aos.end());
  r.y_soa.assign(d.y_soa.begin(), d.y_soa.end());
  return r;
}

std::map<std::string, double> g_errors;  // "Net/type/impl" -> max rel error (grad and loss)
bool g_failed = false;

template <char Net, class T>
void check_all() {
  auto& p = problem<Net, T>::get();
  const std::size_t np = param_count<Net>();
  const dataset<double> dd = promote(p.data);
  avector<double> pd(p.params.begin(), p.params.end()), gref(np);
  const double lref = scalar_loss_grad<Net, double>(pd.data(), dd, gref.data());
  const double tol = std::is_same_v<T, float> ? 1e-3 : 1e-9;
  std::fprintf(stderr, "check %-18s %-6s  loss %.9g  params %zu\n", net_spec<Net>::name, type_name<T>(), lref, np);
  for (const auto& im : impls<Net, T>()) {
    avector<T> g(np, std::numeric_limits<T>::quiet_NaN());  // must be overwritten
    const T l = im.fn(p.params.data(), p.data, g.data());
    const double eg = max_rel_error(g.data(), gref.data(), np);
    const double el = std::abs(double(l) - lref) / std::abs(lref);
    const double e = (std::isnan(eg) || std::isnan(el)) ? std::numeric_limits<double>::quiet_NaN() : std::max(eg, el);
    const bool ok = e <= tol;
    if (!ok) g_failed = true;
    std::fprintf(stderr, "  %-16s grad max rel err %.3e  loss rel err %.3e  %s\n", im.name, eg, el, ok ? "ok" : "FAIL");
    g_errors[std::string(1, Net) + "/" + type_name<T>() + "/" + im.name] = e;
  }
}

// Tails: batch sizes that are not multiples of the lane count (and a
// chunked blocked variant whose last chunk is partial) must give the same
// gradient.  Checked on small odd batches, not timed.
template <char Net, class T>
void check_tails() {
  using S = net_spec<Net>;
  [[maybe_unused]] static constexpr lanes::blocking chunked{.fwd_ob = 3, .fwd_lg = 2, .dw_ob = 3, .dw_ib = 5, .dx_ib = 3, .dx_lg = 3, .chunk = 48};
  std::vector<impl<T>> v = impls<Net, T>();
  if constexpr (Net != 'S') {
    if constexpr (S::kind == net_kind::mlp)
      v.push_back({"lanes_blocked_chunk48", [](const T* p, const dataset<T>& d, T* g) {
                     return lanes::mlp_blocked<T, S::dims.size(), chunked>(S::dims, p, d, g);
                   }});
    else
      v.push_back({"lanes_blocked_chunk48", [](const T* p, const dataset<T>& d, T* g) {
                     return lanes::residual_blocked<T, chunked>(S::width, S::blocks, p, d, g);
                   }});
  }
  const std::size_t np = param_count<Net>();
  const avector<T> params = make_params<T, Net>();
  const avector<double> pd(params.begin(), params.end());
  for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(37), std::size_t(200)}) {
    const dataset<T> data = make_dataset<T, Net>(n);
    const dataset<double> dd = promote(data);
    avector<double> gref(np);
    const double lref = scalar_loss_grad<Net, double>(pd.data(), dd, gref.data());
    const double tol = std::is_same_v<T, float> ? 1e-3 : 1e-9;
    double worst = 0;
    const char* worst_name = "";
    for (const auto& im : v) {
      avector<T> g(np, std::numeric_limits<T>::quiet_NaN());
      const T l = im.fn(params.data(), data, g.data());
      double e = std::max(max_rel_error(g.data(), gref.data(), np), std::abs(double(l) - lref) / std::abs(lref));
      if (std::isnan(e)) e = std::numeric_limits<double>::infinity();
      if (e > worst) {
        worst = e;
        worst_name = im.name;
      }
    }
    const bool ok = worst <= tol;
    if (!ok) g_failed = true;
    std::fprintf(stderr, "  tail n=%-4zu worst max rel err %.3e (%s) %s\n", n, worst, worst_name, ok ? "ok" : "FAIL");
  }
}

template <char Net, class T>
void register_all() {
  for (const auto& im : impls<Net, T>()) {
    const std::string name = std::string(1, Net) + "/" + type_name<T>() + "/" + im.name;
    const double err = g_errors[name];
    impl_fn<T> fn = im.fn;
    benchmark::RegisterBenchmark(name.c_str(), [fn, err](benchmark::State& st) {
      auto& p = problem<Net, T>::get();
      avector<T> g(param_count<Net>());
      for (auto _ : st) {
        T l = fn(p.params.data(), p.data, g.data());
        benchmark::DoNotOptimize(l);
        benchmark::ClobberMemory();
      }
      const double n = double(p.data.n);
      st.counters["samples"] = n;
      st.counters["ns_per_sample"] =
          benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
      st.counters["GFLOP/s"] = benchmark::Counter(n * flops_per_sample<Net>(), benchmark::Counter::kIsIterationInvariantRate);
      st.counters["max_rel_err"] = err;
    });
  }
}

// FMA peak kernel (peak/fma_*): peak.hpp.

// ---- Reporter: forwards to the console / JSON / CSV reporter chosen by
// --benchmark_format (console or json) and prints a summary with ratios to stderr at the end.
class summary_reporter : public benchmark::BenchmarkReporter {
 public:
  explicit summary_reporter(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {
    inner_->SetOutputStream(&std::cout);
    inner_->SetErrorStream(&std::cerr);
  }
  bool ReportContext(const Context& c) override { return inner_->ReportContext(c); }
  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      const std::string base = r.run_name.str();
      auto& row = rows_[base];
      if (row.order == 0) row.order = ++count_;
      const auto it = r.counters.find("ns_per_sample");
      const auto gf = r.counters.find("GFLOP/s");
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name != "median") continue;
        row.median = true;
      } else if (row.median) {
        continue;
      }
      row.ns = it != r.counters.end() ? it->second.value * 1e9 : std::nan("");
      row.gflops = gf != r.counters.end() ? gf->second.value * 1e-9 : std::nan("");
    }
  }
  void Finalize() override {
    inner_->Finalize();
    std::vector<std::pair<std::string, const row_t*>> v;
    for (const auto& [k, r] : rows_) v.push_back({k, &r});
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second->order < b.second->order; });
    std::fprintf(stderr, "\n| network | type | implementation | ns/sample | GFLOP/s | vs lanes_blocked | max rel err |\n");
    std::fprintf(stderr, "|---|---|---|---:|---:|---:|---:|\n");
    for (const auto& [name, r] : v) {
      const auto s1 = name.find('/'), s2 = name.find('/', s1 + 1);
      if (s2 == std::string::npos) {
        std::fprintf(stderr, "| %s | | | | %.1f | | |\n", name.c_str(), r->gflops);
        continue;
      }
      const std::string prefix = name.substr(0, s2 + 1);
      const auto base = rows_.find(prefix + "lanes_blocked");
      const double ratio = base != rows_.end() ? r->ns / base->second.ns : std::nan("");
      const auto e = g_errors.find(name);
      std::fprintf(stderr, "| %s | %s | %s | %.3f | %.1f | %.2fx | %.1e |\n", name.substr(0, s1).c_str(),
                   name.substr(s1 + 1, s2 - s1 - 1).c_str(), name.substr(s2 + 1).c_str(), r->ns, r->gflops, ratio,
                   e != g_errors.end() ? e->second : std::nan(""));
    }
  }

 private:
  struct row_t {
    int order = 0;
    bool median = false;
    double ns = 0, gflops = 0;
  };
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::map<std::string, row_t> rows_;
  int count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string format = "console";
  bool check_only = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
    if (std::strcmp(argv[i], "--check_only") == 0) {
      check_only = true;
      continue;
    }
    args.push_back(argv[i]);
  }
  int ac = int(args.size());
  benchmark::Initialize(&ac, args.data());
  if (benchmark::ReportUnrecognizedArguments(ac, args.data())) return 2;

  std::fprintf(stderr, "lanes: %s, %zu floats / %zu doubles per register\n", lanes::arch::name(),
               lanes::vec<float>::size, lanes::vec<double>::size);
  peers::describe();  // which optional peers are built in (torch's BLAS, oneDNN's threads)
  check_all<'S', float>();
  check_tails<'S', float>();
  check_all<'S', double>();
  check_tails<'S', double>();
  check_all<'M', float>();
  check_tails<'M', float>();
  check_all<'M', double>();
  check_tails<'M', double>();
  check_all<'L', float>();
  check_tails<'L', float>();
  check_all<'R', float>();
  check_tails<'R', float>();
  if (check_only) return g_failed ? 1 : 0;

#ifdef TLB_HAVE_PEAK
  benchmark::RegisterBenchmark("peak/fma_f32_8acc", peak_fma<'s', 8>);
  benchmark::RegisterBenchmark("peak/fma_f32_16acc", peak_fma<'s', 16>);
  benchmark::RegisterBenchmark("peak/fma_f32_24acc", peak_fma<'s', 24>);
  benchmark::RegisterBenchmark("peak/fma_f64_16acc", peak_fma<'d', 16>);
#endif
  register_all<'S', float>();
  register_all<'S', double>();
  register_all<'M', float>();
  register_all<'M', double>();
  register_all<'L', float>();
  register_all<'R', float>();

  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json") inner = std::make_unique<benchmark::JSONReporter>();
  else inner = std::make_unique<benchmark::ConsoleReporter>();
  summary_reporter rep(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  if (g_failed) std::fprintf(stderr, "\nGRADIENT CHECK FAILED (see above)\n");
  return g_failed ? 1 : 0;
}
