// Jacobian by forward sweeps, by reverse sweeps, and by the automatic
// choice, on small MLP-like maps f: R^n -> R^m,
//
//   f(x) = W2 tanh(W1 x + b1),   W1: 32 x n,  b1: 32,  W2: m x 32,
//
// differentiated with respect to x (jacobian(f, P, wrt<"x">, bind<"x">(x)),
// include/tapeless/eval/jacobian.hpp). Forward mode takes one sweep per
// input direction (n), reverse mode one per output (m); both run `lanes`
// directions per pass through the graph (one per SIMD lane), so a Jacobian
// costs ceil(n / lanes) forward or ceil(m / lanes) reverse passes. The
// automatic choice is the mode with fewer sweeps, ties to reverse.
//
// Shapes (double and float):
//   n fixed at 64, m = 1, 2, 4, ..., 64   (reverse should win)
//   m fixed at 64, n = 1, 2, 4, ..., 32   (forward should win)
//   pairs whose pass counts tie in double: (8, 2), (2, 8), (16, 9),
//   (9, 16), (64, 57), (57, 64): there the choice by sweeps has no pass
//   to save, and the cost of a pass decides.
//
// Before any timing every shape is checked: forward and reverse matrices
// agree to 1e-10 (double; 1e-5 float) in max abs difference, both match the
// closed form W2 diag(1 - tanh^2(W1 x + b1)) W1 computed in double (same
// tolerances), the values match f(x), the automatic result is the
// predicted mode and the same matrix, and every call made the passes it
// announces (passes_run == passes). Any failure: exit status 1, nothing is
// timed.
//
// Rows: jacobian/<type>/n<n>_m<m>/<forward|reverse|automatic>; one
// iteration is one Jacobian. Counters: n, m, lanes, sweeps, passes,
// forward (1 if the row ran forward sweeps: for `automatic`, what it
// picked). A summary (medians if --benchmark_repetitions > 1) goes to
// stderr at the end; bench/jacobian_table.py makes the same table from
// --benchmark_format=json output.
//
// --check_only: run the checks and exit.
// --callgrind[=R]: no Google Benchmark; for each row, R Jacobians (default
//   50) between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT(row
//   name), for `valgrind --tool=callgrind` instruction counts
//   (bench/jacobian_table.py --callgrind). Valgrind 3.19 has no AVX-512:
//   run the tapeless_jacobian_modes_avx2 build under it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define JM_HAVE_CALLGRIND 1
#endif

namespace {

using namespace tapeless;

constexpr std::size_t hidden = 32;

template <std::size_t N, std::size_t M>
constexpr auto mlp_map() {
  constexpr auto x = input<"x", vec<N>>;
  constexpr auto W1 = param<"W1", mat<hidden, N>>;
  constexpr auto b1 = param<"b1", vec<hidden>>;
  constexpr auto W2 = param<"W2", mat<M, hidden>>;
  return W2 * tanh(W1 * x + b1);
}

template <class T>
const char* type_name() {
  return std::is_same_v<T, float> ? "float" : "double";
}

const char* mode_name(sweep_mode m) {
  return m == sweep_mode::forward ? "forward" : m == sweep_mode::reverse ? "reverse" : "automatic";
}

// Weights and the point, deterministic: W1 ~ U(-1, 1) sqrt(3 / n) (so
// W1 x + b1 stays in tanh's non-flat range), b1 ~ U(-0.5, 0.5),
// W2 ~ U(-1, 1) sqrt(3 / 32), x ~ U(-1, 1).
template <std::size_t N, std::size_t M, class T>
struct problem {
  using expr = decltype(mlp_map<N, M>());
  params<expr, T> P;
  std::array<T, N> x{};
  // The same numbers in double, for the closed form.
  std::vector<double> w1, b1, w2, xd;

  problem() : w1(hidden * N), b1(hidden), w2(M * hidden), xd(N) {
    std::mt19937 rng(unsigned(1000 * N + M));
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    // Round through T so that the double copies are exactly what P holds.
    auto draw = [&](double scale) { return double(T(scale * u(rng))); };
    for (auto& v : w1) v = draw(std::sqrt(3.0 / double(N)));
    for (auto& v : b1) v = draw(0.5);
    for (auto& v : w2) v = draw(std::sqrt(3.0 / double(hidden)));
    for (auto& v : xd) v = draw(1.0);
    auto W1 = P.template get<"W1">();
    auto B1 = P.template get<"b1">();
    auto W2 = P.template get<"W2">();
    for (std::size_t k = 0; k < hidden; ++k)
      for (std::size_t j = 0; j < N; ++j) W1(k, j) = T(w1[k * N + j]);
    for (std::size_t k = 0; k < hidden; ++k) B1[k] = T(b1[k]);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t k = 0; k < hidden; ++k) W2(i, k) = T(w2[i * hidden + k]);
    for (std::size_t j = 0; j < N; ++j) x[j] = T(xd[j]);
  }

  template <sweep_mode Mode>
  auto jac() const {
    return jacobian<Mode>(expr{}, P, wrt<"x">, bind<"x">(x));
  }

  // f(x) and J in double: J = W2 diag(1 - tanh^2(z)) W1, z = W1 x + b1.
  void closed_form(std::vector<double>& value, std::vector<double>& J) const {
    std::array<double, hidden> h{}, d{};
    for (std::size_t k = 0; k < hidden; ++k) {
      double z = b1[k];
      for (std::size_t j = 0; j < N; ++j) z += w1[k * N + j] * xd[j];
      h[k] = std::tanh(z);
      d[k] = 1.0 - h[k] * h[k];
    }
    value.assign(M, 0.0);
    J.assign(M * N, 0.0);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t k = 0; k < hidden; ++k) {
        value[i] += w2[i * hidden + k] * h[k];
        const double c = w2[i * hidden + k] * d[k];
        for (std::size_t j = 0; j < N; ++j) J[i * N + j] += c * w1[k * N + j];
      }
  }
};

bool g_failed = false;

template <class A, class B>
double max_abs_diff(const A& a, const B& b, std::size_t count) {
  double e = 0;
  for (std::size_t k = 0; k < count; ++k) e = std::max(e, std::abs(double(a[k]) - double(b[k])));
  return e;
}

template <std::size_t N, std::size_t M, class T>
void check_shape() {
  using namespace tapeless;
  const problem<N, M, T> p;
  const auto F = p.template jac<sweep_mode::forward>();
  const auto R = p.template jac<sweep_mode::reverse>();
  const auto A = p.template jac<sweep_mode::automatic>();
  using FA = decltype(A);
  constexpr sweep_mode predicted = N < M ? sweep_mode::forward : sweep_mode::reverse;
  std::vector<double> value, J;
  p.closed_form(value, J);
  const double tol = std::is_same_v<T, double> ? 1e-10 : 1e-5;
  const double fr = max_abs_diff(F.matrix.elements, R.matrix.elements, M * N);
  const double fj = max_abs_diff(F.matrix.elements, J, M * N);
  const double rj = max_abs_diff(R.matrix.elements, J, M * N);
  const double fv = max_abs_diff(F.value.elements, value, M);
  const double rv = max_abs_diff(R.value.elements, value, M);
  const double aa =
      max_abs_diff(A.matrix.elements, predicted == sweep_mode::forward ? F.matrix.elements : R.matrix.elements, M * N);
  double jmax = 0;
  for (double v : J) jmax = std::max(jmax, std::abs(v));
  const bool ok = fr <= tol && fj <= tol && rj <= tol && fv <= tol && rv <= tol && aa == 0.0 &&
                  FA::mode == predicted && decltype(F)::sweeps == N && decltype(R)::sweeps == M &&
                  F.passes_run == decltype(F)::passes && R.passes_run == decltype(R)::passes &&
                  A.passes_run == FA::passes;
  std::fprintf(stderr,
               "check %-6s n=%2zu m=%2zu  |F-R| %.1e  |F-J| %.1e  |R-J| %.1e  |f| %.1e  max|J| %.2f  "
               "auto=%s, %zu pass(es) x %zu lanes  %s\n",
               type_name<T>(), N, M, fr, fj, rj, std::max(fv, rv), jmax, mode_name(FA::mode), FA::passes,
               FA::lanes, ok ? "ok" : "FAILED");
  if (!ok) g_failed = true;
}

template <std::size_t N, std::size_t M, class T, sweep_mode Mode>
void bm_jacobian(benchmark::State& st) {
  const problem<N, M, T> p;
  using R = decltype(p.template jac<Mode>());
  for (auto _ : st) {
    auto J = p.template jac<Mode>();
    benchmark::DoNotOptimize(J);
    benchmark::ClobberMemory();
  }
  st.counters["n"] = double(N);
  st.counters["m"] = double(M);
  st.counters["lanes"] = double(R::lanes);
  st.counters["sweeps"] = double(R::sweeps);
  st.counters["passes"] = double(R::passes);
  st.counters["forward"] = R::mode == sweep_mode::forward ? 1.0 : 0.0;
  st.SetLabel(std::string(mode_name(R::mode)) + ", " + std::to_string(R::passes) + " passes");
}

template <std::size_t N, std::size_t M, class T>
std::string row_prefix() {
  return std::string("jacobian/") + type_name<T>() + "/n" + std::to_string(N) + "_m" + std::to_string(M) + "/";
}

// Shape prefixes in registration order, for the summary (with
// --benchmark_enable_random_interleaving the runs come in any order).
std::vector<std::string> g_shapes;

template <std::size_t N, std::size_t M, class T>
void register_shape() {
  const std::string pre = row_prefix<N, M, T>();
  g_shapes.push_back(pre.substr(0, pre.size() - 1));
  benchmark::RegisterBenchmark((pre + "forward").c_str(), bm_jacobian<N, M, T, sweep_mode::forward>);
  benchmark::RegisterBenchmark((pre + "reverse").c_str(), bm_jacobian<N, M, T, sweep_mode::reverse>);
  benchmark::RegisterBenchmark((pre + "automatic").c_str(), bm_jacobian<N, M, T, sweep_mode::automatic>);
}

#ifdef JM_HAVE_CALLGRIND
template <std::size_t N, std::size_t M, class T, sweep_mode Mode>
void callgrind_row(int reps, const std::string& name) {
  const problem<N, M, T> p;
  auto warm = p.template jac<Mode>();
  benchmark::DoNotOptimize(warm);
  CALLGRIND_ZERO_STATS;
  for (int r = 0; r < reps; ++r) {
    auto J = p.template jac<Mode>();
    benchmark::DoNotOptimize(J);
    benchmark::ClobberMemory();
  }
  // The label carries the repetition count (Ir per Jacobian = total / reps)
  // and the row's lanes, passes and mode.
  // (A named string: the macro is a statement expression, which would end a
  // temporary's life before the request is made.)
  using R = decltype(p.template jac<Mode>());
  const std::string label = name + "#reps=" + std::to_string(reps) + "#lanes=" + std::to_string(R::lanes) +
                            "#passes=" + std::to_string(R::passes) +
                            "#forward=" + (R::mode == sweep_mode::forward ? "1" : "0");
  CALLGRIND_DUMP_STATS_AT(label.c_str());
}

template <std::size_t N, std::size_t M, class T>
void callgrind_shape(int reps) {
  const std::string pre = row_prefix<N, M, T>();
  callgrind_row<N, M, T, sweep_mode::forward>(reps, pre + "forward");
  callgrind_row<N, M, T, sweep_mode::reverse>(reps, pre + "reverse");
  callgrind_row<N, M, T, sweep_mode::automatic>(reps, pre + "automatic");
}
#endif

// Every (n, m), in table order; F(N, M) is called for each.
template <class T, template <std::size_t, std::size_t, class> class F, class... A>
void for_each_shape(A... a) {
  // n = 64, m growing.
  F<64, 1, T>::run(a...);
  F<64, 2, T>::run(a...);
  F<64, 4, T>::run(a...);
  F<64, 8, T>::run(a...);
  F<64, 16, T>::run(a...);
  F<64, 32, T>::run(a...);
  F<64, 64, T>::run(a...);
  // m = 64, n shrinking.
  F<32, 64, T>::run(a...);
  F<16, 64, T>::run(a...);
  F<8, 64, T>::run(a...);
  F<4, 64, T>::run(a...);
  F<2, 64, T>::run(a...);
  F<1, 64, T>::run(a...);
  // Shapes whose forward and reverse pass counts tie (in double).
  F<8, 2, T>::run(a...);
  F<2, 8, T>::run(a...);
  F<16, 9, T>::run(a...);
  F<9, 16, T>::run(a...);
  F<64, 57, T>::run(a...);
  F<57, 64, T>::run(a...);
}

template <std::size_t N, std::size_t M, class T>
struct do_check {
  static void run() { check_shape<N, M, T>(); }
};
template <std::size_t N, std::size_t M, class T>
struct do_register {
  static void run() { register_shape<N, M, T>(); }
};
#ifdef JM_HAVE_CALLGRIND
template <std::size_t N, std::size_t M, class T>
struct do_callgrind {
  static void run(int reps) { callgrind_shape<N, M, T>(reps); }
};
#endif

// Prints the table of medians (or single runs) to stderr after the run,
// forwarding everything to the normal reporter.
class summary_reporter : public benchmark::BenchmarkReporter {
 public:
  explicit summary_reporter(std::unique_ptr<benchmark::BenchmarkReporter> inner) : inner_(std::move(inner)) {}
  bool ReportContext(const Context& c) override {
    inner_->SetOutputStream(&GetOutputStream());
    inner_->SetErrorStream(&GetErrorStream());
    return inner_->ReportContext(c);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.error_occurred) continue;
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type == Run::RT_Aggregate && !median) continue;
      row_t& row = rows_[r.run_name.str()];
      if (row.median && !median) continue;
      row.median = median;
      row.ns = r.GetAdjustedCPUTime();  // time unit is ns
      const auto fwd = r.counters.find("forward");
      row.forward = fwd != r.counters.end() && fwd->second.value > 0.5;
      const auto passes = r.counters.find("passes");
      row.passes = passes != r.counters.end() ? int(passes->second.value + 0.5) : 0;
    }
  }
  void Finalize() override {
    inner_->Finalize();
    std::fprintf(stderr,
                 "\n| type | n | m | forward ns (passes) | reverse ns (passes) | fwd/rev | automatic picked | "
                 "automatic ns | picked the faster |\n|---|---:|---:|---:|---:|---:|---|---:|---|\n");
    for (const std::string& pre : g_shapes) {
      const auto f = rows_.find(pre + "/forward"), r = rows_.find(pre + "/reverse"), a = rows_.find(pre + "/automatic");
      if (f == rows_.end() || r == rows_.end()) continue;
      unsigned long n = 0, m = 0;
      char type[16] = {};
      std::sscanf(pre.c_str(), "jacobian/%15[^/]/n%lu_m%lu", type, &n, &m);
      const bool have_a = a != rows_.end();
      const bool picked_fwd = have_a && a->second.forward;
      const double ratio = f->second.ns / r->second.ns;
      // Whether the pick is the faster of the two forced rows; within 3 %
      // it is called a tie (bench/jacobian_table.py does the same).
      const char* verdict = !have_a                      ? "-"
                            : std::abs(ratio - 1) <= 0.03 ? "tie (3%)"
                            : picked_fwd == (ratio < 1)   ? "yes"
                                                          : "**no**";
      std::fprintf(stderr, "| %s | %lu | %lu | %.0f (%d) | %.0f (%d) | %.2f | %s | %.0f | %s |\n", type, n, m,
                   f->second.ns, f->second.passes, r->second.ns, r->second.passes, ratio,
                   have_a ? (picked_fwd ? "forward" : "reverse") : "-", have_a ? a->second.ns : std::nan(""),
                   verdict);
    }
  }

 private:
  struct row_t {
    bool median = false;
    bool forward = false;
    int passes = 0;
    double ns = 0;
  };
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::map<std::string, row_t> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string format = "console";
  bool check_only = false;
  int callgrind_reps = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
    if (std::strcmp(argv[i], "--check_only") == 0) {
      check_only = true;
      continue;
    }
    if (std::strncmp(argv[i], "--callgrind", 11) == 0) {
      callgrind_reps = argv[i][11] == '=' ? std::atoi(argv[i] + 12) : 50;
      if (callgrind_reps <= 0) {
        std::fprintf(stderr, "--callgrind=R needs R > 0\n");
        return 2;
      }
      continue;
    }
    args.push_back(argv[i]);
  }
  int ac = int(args.size());
  benchmark::Initialize(&ac, args.data());
  if (benchmark::ReportUnrecognizedArguments(ac, args.data())) return 2;

  std::fprintf(stderr, "f(x) = W2 tanh(W1 x + b1), hidden %zu; SIMD lanes per pass: %zu double, %zu float (%s)\n",
               hidden, detail::direction_pack<double>::lanes, detail::direction_pack<float>::lanes,
               xsimd::default_arch::name());
  for_each_shape<double, do_check>();
  for_each_shape<float, do_check>();
  if (g_failed) {
    std::fprintf(stderr, "\nJACOBIAN CHECK FAILED (see above): nothing timed\n");
    return 1;
  }
  if (check_only) return 0;

  if (callgrind_reps > 0) {
#ifdef JM_HAVE_CALLGRIND
    if (!RUNNING_ON_VALGRIND) std::fprintf(stderr, "--callgrind: not running under valgrind, nothing is counted\n");
    for_each_shape<double, do_callgrind>(callgrind_reps);
    for_each_shape<float, do_callgrind>(callgrind_reps);
    return 0;
#else
    std::fprintf(stderr, "--callgrind: built without <valgrind/callgrind.h>\n");
    return 2;
#endif
  }

  for_each_shape<double, do_register>();
  for_each_shape<float, do_register>();

  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json") inner = std::make_unique<benchmark::JSONReporter>();
  else inner = std::make_unique<benchmark::ConsoleReporter>();
  summary_reporter rep(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  return 0;
}
