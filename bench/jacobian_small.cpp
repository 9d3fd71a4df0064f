// One small Jacobian per call: the control-loop case (issue #10).
//
//   f(x) = W2 tanh(W1 x + b1),   W1: 32 x n,  b1: 32,  W2: m x 32,   double,
//
// differentiated with respect to x at one point, one whole m x n Jacobian
// (and f(x)) per call, as a controller linearizing its model every step
// would. Three ways, per shape (n, m):
//
//   closed_form     J = W2 diag(1 - tanh^2(W1 x + b1)) W1, hand-written with
//                   compile-time sizes and explicit SIMD (xsimd batches of
//                   the build's widest registers): every product is a
//                   sequence of axpys along a contiguous dimension, in
//                   independent register accumulators; the weights are
//                   also kept transposed and padded to whole registers, as
//                   a careful person would for weights that do not change
//                   between calls. J is built by rows when n >= m and by
//                   columns otherwise. (Plain loops were tried first: g++ 12
//                   fully unrolled the short inner loops and vectorized
//                   along the wrong dimension, with hundreds of shuffles.)
//   tapeless        jacobian(f, P, wrt<"x">, bind<"x">(x)), automatic mode
//                   (include/tapeless/eval/jacobian.hpp).
//   eigen_autodiff  Eigen's forward mode with a fixed-size derivative vector,
//                   Eigen::AutoDiffScalar<Eigen::Matrix<double, n, 1>>
//                   (unsupported/Eigen/AutoDiff): x seeded with the unit
//                   vectors, f written as loops over the scalars with the
//                   weights as plain doubles, the rows of J read from the
//                   derivatives.
//
// All three call std::tanh on the 32 hidden values (Eigen's AutoDiff tanh
// also calls std::cosh for the derivative, its own rule), so the
// comparison is about the differentiation, not about the elementary
// function. Every version returns f(x) and J (row-major, m x n).
//
// One benchmark iteration is one Jacobian at the same point x, which the
// loop marks as possibly changed before each call (as a new measurement
// would be) and whose result it marks as used; the weights stay the same,
// as in a control loop.
//
// Before timing, every shape is checked: the three Jacobians and values
// agree pairwise to 1e-10 (max abs difference), and tapeless made the
// passes it announces. Any failure prints JACOBIAN CHECK FAILED and exits
// with status 1, nothing timed. --check_only runs only the checks.
//
// Rows: small/n<n>_m<m>/<closed_form|tapeless|eigen_autodiff>, with
// counters n, m and, for tapeless, lanes, passes and forward (1 if forward
// sweeps ran). At the end a table of the medians (single runs without
// --benchmark_repetitions) goes to stderr, with the ratios
// tapeless/closed_form and tapeless/eigen_autodiff.
//
// --callgrind[=R]: no Google Benchmark; for each row, R Jacobians (default
//   200) between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT(row
//   name), for `valgrind --tool=callgrind` instruction counts. Valgrind 3.19
//   has no AVX-512: run the tapeless_jacobian_small_avx2 build under it.
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
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
#include <unsupported/Eigen/AutoDiff>
#include <vector>

#include <unistd.h>

#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define JS_HAVE_CALLGRIND 1
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

// What every version returns: f(x) and J, row-major m x n.
template <std::size_t N, std::size_t M>
struct value_and_jacobian {
  alignas(64) std::array<double, M> value;
  alignas(64) std::array<double, M * N> J;
};

// The weights, the point, and each version's copy of the weights in the
// form it wants. Deterministic: W1 ~ U(-1, 1) sqrt(3 / n) (W1 x + b1 stays
// in tanh's non-flat range), b1 ~ U(-0.5, 0.5), W2 ~ U(-1, 1) sqrt(3 / 32),
// x ~ U(-1, 1).
template <std::size_t N, std::size_t M>
struct problem {
  using expr = decltype(mlp_map<N, M>());

  // tapeless
  params<expr, double> P;
  std::array<double, N> x{};

  // closed form: copies padded to whole SIMD registers (the padding is 0)
  static constexpr std::size_t lanes = xsimd::batch<double>::size;
  static constexpr std::size_t pad(std::size_t n) { return (n + lanes - 1) / lanes * lanes; }
  static constexpr std::size_t NP = pad(N), MP = pad(M), HP = pad(hidden);
  alignas(64) double W1[hidden][NP] = {};   // W1[k][j]
  alignas(64) double W1T[N][HP] = {};       // W1T[j][k] = W1[k][j]
  alignas(64) double b1[HP] = {};
  alignas(64) double W2[M][hidden] = {};    // W2[i][k]
  alignas(64) double W2T[hidden][MP] = {};  // W2T[k][i] = W2[i][k]

  // Eigen
  Eigen::Matrix<double, int(hidden), int(N)> eW1;
  Eigen::Matrix<double, int(hidden), 1> eb1;
  Eigen::Matrix<double, int(M), int(hidden)> eW2;

  problem() {
    std::mt19937 rng(unsigned(1000 * N + M));
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (std::size_t k = 0; k < hidden; ++k)
      for (std::size_t j = 0; j < N; ++j) W1[k][j] = std::sqrt(3.0 / double(N)) * u(rng);
    for (std::size_t k = 0; k < hidden; ++k) b1[k] = 0.5 * u(rng);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t k = 0; k < hidden; ++k) W2[i][k] = std::sqrt(3.0 / double(hidden)) * u(rng);
    for (std::size_t j = 0; j < N; ++j) x[j] = u(rng);

    auto pW1 = P.template get<"W1">();
    auto pb1 = P.template get<"b1">();
    auto pW2 = P.template get<"W2">();
    for (std::size_t k = 0; k < hidden; ++k) {
      pb1[k] = b1[k];
      eb1(Eigen::Index(k)) = b1[k];
      for (std::size_t j = 0; j < N; ++j) {
        W1T[j][k] = W1[k][j];
        pW1(k, j) = W1[k][j];
        eW1(Eigen::Index(k), Eigen::Index(j)) = W1[k][j];
      }
      for (std::size_t i = 0; i < M; ++i) {
        W2T[k][i] = W2[i][k];
        pW2(i, k) = W2[i][k];
        eW2(Eigen::Index(i), Eigen::Index(k)) = W2[i][k];
      }
    }
  }

  // ---- closed form ------------------------------------------------------
  // acc[0..R) = c * src[0..R lanes) (Init) or += (otherwise), R registers.
  using reg = xsimd::batch<double>;
  template <std::size_t R, bool Init>
  static void axpy(reg (&acc)[R], double c, const double* src) {
    const reg cb(c);
    for (std::size_t r = 0; r < R; ++r) {
      const reg s = reg::load_aligned(src + r * lanes);
      acc[r] = Init ? cb * s : xsimd::fma(cb, s, acc[r]);
    }
  }

  void closed_form(const std::array<double, N>& xv, value_and_jacobian<N, M>& out) const {
    // z = W1 x + b1, as axpys over the columns of W1 (rows of W1T).
    reg z[HP / lanes];
    for (std::size_t r = 0; r < HP / lanes; ++r) z[r] = reg::load_aligned(b1 + r * lanes);
    for (std::size_t j = 0; j < N; ++j) axpy<HP / lanes, false>(z, xv[j], W1T[j]);
    alignas(64) double h[HP], d[HP];
    for (std::size_t r = 0; r < HP / lanes; ++r) z[r].store_aligned(h + r * lanes);
    for (std::size_t k = 0; k < hidden; ++k) {
      h[k] = std::tanh(h[k]);
      d[k] = 1.0 - h[k] * h[k];
    }
    // f = W2 h, as axpys over the rows of W2T.
    alignas(64) double buf[NP > MP ? NP : MP];
    {
      reg y[MP / lanes];
      axpy<MP / lanes, true>(y, h[0], W2T[0]);
      for (std::size_t k = 1; k < hidden; ++k) axpy<MP / lanes, false>(y, h[k], W2T[k]);
      for (std::size_t r = 0; r < MP / lanes; ++r) y[r].store_aligned(buf + r * lanes);
      for (std::size_t i = 0; i < M; ++i) out.value[i] = buf[i];
    }
    if constexpr (N >= M) {
      // Row i of J: Σ_k (W2[i][k] d[k]) W1[k][:].
      for (std::size_t i = 0; i < M; ++i) {
        reg row[NP / lanes];
        axpy<NP / lanes, true>(row, W2[i][0] * d[0], W1[0]);
        for (std::size_t k = 1; k < hidden; ++k) axpy<NP / lanes, false>(row, W2[i][k] * d[k], W1[k]);
        for (std::size_t r = 0; r < NP / lanes; ++r) row[r].store_aligned(buf + r * lanes);
        for (std::size_t j = 0; j < N; ++j) out.J[i * N + j] = buf[j];
      }
    } else {
      // Column j of J: Σ_k (d[k] W1[k][j]) W2T[k][:].
      for (std::size_t j = 0; j < N; ++j) {
        reg col[MP / lanes];
        axpy<MP / lanes, true>(col, d[0] * W1[0][j], W2T[0]);
        for (std::size_t k = 1; k < hidden; ++k) axpy<MP / lanes, false>(col, d[k] * W1[k][j], W2T[k]);
        for (std::size_t r = 0; r < MP / lanes; ++r) col[r].store_aligned(buf + r * lanes);
        for (std::size_t i = 0; i < M; ++i) out.J[i * N + j] = buf[i];
      }
    }
  }

  // ---- tapeless ---------------------------------------------------------
  auto tapeless_jacobian(const std::array<double, N>& xv) const {
    return jacobian(expr{}, P, wrt<"x">, bind<"x">(xv));
  }
  void tapeless(const std::array<double, N>& xv, value_and_jacobian<N, M>& out) const {
    const auto r = tapeless_jacobian(xv);
    for (std::size_t i = 0; i < M; ++i) out.value[i] = r.value[i];
    for (std::size_t k = 0; k < M * N; ++k) out.J[k] = r.matrix[k];
  }

  // ---- Eigen AutoDiff ---------------------------------------------------
  // Plain loops over the scalars: Eigen's matrix products with
  // AutoDiffScalar operands were measured 1.1-6x slower on these shapes.
  using ad = Eigen::AutoDiffScalar<Eigen::Matrix<double, int(N), 1>>;
  void eigen_autodiff(const std::array<double, N>& xv, value_and_jacobian<N, M>& out) const {
    Eigen::Matrix<ad, int(N), 1> xa;
    for (std::size_t j = 0; j < N; ++j) xa(Eigen::Index(j)) = ad(xv[j], int(N), int(j));
    Eigen::Matrix<ad, int(hidden), 1> h;
    for (Eigen::Index k = 0; k < Eigen::Index(hidden); ++k) {
      ad z = eb1(k);
      for (Eigen::Index j = 0; j < Eigen::Index(N); ++j) z += eW1(k, j) * xa(j);
      h(k) = tanh(z);
    }
    for (Eigen::Index i = 0; i < Eigen::Index(M); ++i) {
      ad y = eW2(i, 0) * h(0);
      for (Eigen::Index k = 1; k < Eigen::Index(hidden); ++k) y += eW2(i, k) * h(k);
      out.value[std::size_t(i)] = y.value();
      for (std::size_t j = 0; j < N; ++j) out.J[std::size_t(i) * N + j] = y.derivatives()(Eigen::Index(j));
    }
  }
};

bool g_failed = false;

template <std::size_t Count>
double max_abs_diff(const std::array<double, Count>& a, const std::array<double, Count>& b) {
  double e = 0;
  for (std::size_t k = 0; k < Count; ++k) e = std::max(e, std::abs(a[k] - b[k]));
  return e;
}

template <std::size_t N, std::size_t M>
void check_shape() {
  const auto p = std::make_unique<problem<N, M>>();
  value_and_jacobian<N, M> c{}, t{}, e{};
  p->closed_form(p->x, c);
  p->tapeless(p->x, t);
  p->eigen_autodiff(p->x, e);
  const auto r = p->tapeless_jacobian(p->x);
  using R = decltype(r);
  const double tc = max_abs_diff(t.J, c.J), te = max_abs_diff(t.J, e.J), ce = max_abs_diff(c.J, e.J);
  const double v = std::max({max_abs_diff(t.value, c.value), max_abs_diff(t.value, e.value),
                             max_abs_diff(c.value, e.value)});
  double jmax = 0;
  for (double a : c.J) jmax = std::max(jmax, std::abs(a));
  const double tol = 1e-10;
  const bool ok = tc <= tol && te <= tol && ce <= tol && v <= tol && r.passes_run == R::passes;
  std::fprintf(stderr,
               "check n=%2zu m=%2zu  |tapeless-closed| %.1e  |tapeless-eigen| %.1e  |closed-eigen| %.1e  "
               "|f| %.1e  max|J| %.2f  tapeless: %s, %zu pass(es) x %zu lanes  %s\n",
               N, M, tc, te, ce, v, jmax, R::mode == sweep_mode::forward ? "forward" : "reverse", R::passes,
               R::lanes, ok ? "ok" : "FAILED");
  if (!ok) g_failed = true;
}

enum class way { closed_form, tapeless, eigen_autodiff };
constexpr const char* way_name[] = {"closed_form", "tapeless", "eigen_autodiff"};

template <std::size_t N, std::size_t M, way W>
void run_once(const problem<N, M>& p, std::array<double, N>& x, value_and_jacobian<N, M>& out) {
  // The point may have changed since the last call (a new measurement).
  benchmark::DoNotOptimize(x);
  if constexpr (W == way::closed_form)
    p.closed_form(x, out);
  else if constexpr (W == way::eigen_autodiff)
    p.eigen_autodiff(x, out);
  else {
    auto r = p.tapeless_jacobian(x);
    benchmark::DoNotOptimize(r);
  }
  benchmark::DoNotOptimize(out);
  benchmark::ClobberMemory();
}

template <std::size_t N, std::size_t M, way W>
void bm_small(benchmark::State& st) {
  const auto p = std::make_unique<problem<N, M>>();
  auto x = p->x;
  value_and_jacobian<N, M> out{};
  for (auto _ : st) run_once<N, M, W>(*p, x, out);
  st.counters["n"] = double(N);
  st.counters["m"] = double(M);
  if constexpr (W == way::tapeless) {
    using R = decltype(p->tapeless_jacobian(x));
    st.counters["lanes"] = double(R::lanes);
    st.counters["passes"] = double(R::passes);
    st.counters["forward"] = R::mode == sweep_mode::forward ? 1.0 : 0.0;
    st.SetLabel(std::string(R::mode == sweep_mode::forward ? "forward" : "reverse") + ", " +
                std::to_string(R::passes) + " x " + std::to_string(R::lanes) + " lanes");
  }
}

template <std::size_t N, std::size_t M>
std::string shape_name() {
  return "small/n" + std::to_string(N) + "_m" + std::to_string(M);
}

std::vector<std::string> g_shapes;  // in registration order, for the table

template <std::size_t N, std::size_t M>
void register_shape() {
  const std::string pre = shape_name<N, M>();
  g_shapes.push_back(pre);
  benchmark::RegisterBenchmark((pre + "/closed_form").c_str(), bm_small<N, M, way::closed_form>);
  benchmark::RegisterBenchmark((pre + "/tapeless").c_str(), bm_small<N, M, way::tapeless>);
  benchmark::RegisterBenchmark((pre + "/eigen_autodiff").c_str(), bm_small<N, M, way::eigen_autodiff>);
}

#ifdef JS_HAVE_CALLGRIND
template <std::size_t N, std::size_t M, way W>
void callgrind_row(int reps) {
  const auto p = std::make_unique<problem<N, M>>();
  auto x = p->x;
  value_and_jacobian<N, M> out{};
  run_once<N, M, W>(*p, x, out);  // warm
  CALLGRIND_ZERO_STATS;
  for (int r = 0; r < reps; ++r) run_once<N, M, W>(*p, x, out);
  // A named string: the macro is a statement expression, which would end a
  // temporary's life before the request is made.
  const std::string label = shape_name<N, M>() + "/" + way_name[int(W)] + "#reps=" + std::to_string(reps);
  CALLGRIND_DUMP_STATS_AT(label.c_str());
}
template <std::size_t N, std::size_t M>
void callgrind_shape(int reps) {
  callgrind_row<N, M, way::closed_form>(reps);
  callgrind_row<N, M, way::tapeless>(reps);
  callgrind_row<N, M, way::eigen_autodiff>(reps);
}
#endif

template <template <std::size_t, std::size_t> class F, class... A>
void for_each_shape(A... a) {
  F<4, 4>::run(a...);
  F<16, 16>::run(a...);
  F<64, 1>::run(a...);
  F<1, 64>::run(a...);
  F<64, 64>::run(a...);
  F<12, 6>::run(a...);
}

template <std::size_t N, std::size_t M>
struct do_check {
  static void run() { check_shape<N, M>(); }
};
template <std::size_t N, std::size_t M>
struct do_register {
  static void run() { register_shape<N, M>(); }
};
#ifdef JS_HAVE_CALLGRIND
template <std::size_t N, std::size_t M>
struct do_callgrind {
  static void run(int reps) { callgrind_shape<N, M>(reps); }
};
#endif

// Forwards everything to the normal reporter and prints the table of
// medians (or single runs) to stderr at the end.
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
      row.label = r.report_label;
    }
  }
  void Finalize() override {
    inner_->Finalize();
    std::fprintf(stderr,
                 "\nns per Jacobian (%s), f(x) = W2 tanh(W1 x + b1), hidden %zu, double\n"
                 "| n | m | closed_form | tapeless | eigen_autodiff | tapeless/closed_form | "
                 "tapeless/eigen_autodiff | tapeless ran |\n|---:|---:|---:|---:|---:|---:|---:|---|\n",
                 any_median() ? "medians" : "single runs", hidden);
    for (const std::string& pre : g_shapes) {
      const auto c = rows_.find(pre + "/closed_form"), t = rows_.find(pre + "/tapeless"),
                 e = rows_.find(pre + "/eigen_autodiff");
      if (c == rows_.end() || t == rows_.end() || e == rows_.end()) continue;
      unsigned long n = 0, m = 0;
      std::sscanf(pre.c_str(), "small/n%lu_m%lu", &n, &m);
      std::fprintf(stderr, "| %lu | %lu | %.0f | %.0f | %.0f | %.2f | %.2f | %s |\n", n, m, c->second.ns,
                   t->second.ns, e->second.ns, t->second.ns / c->second.ns, t->second.ns / e->second.ns,
                   t->second.label.c_str());
    }
  }

 private:
  struct row_t {
    bool median = false;
    double ns = 0;
    std::string label;
  };
  bool any_median() const {
    for (const auto& [name, row] : rows_)
      if (row.median) return true;
    return false;
  }
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::map<std::string, row_t> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string format = "console", color = "auto";
  bool check_only = false;
  int callgrind_reps = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
    if (std::strncmp(argv[i], "--benchmark_color=", 18) == 0) color = argv[i] + 18;
    if (std::strcmp(argv[i], "--check_only") == 0) {
      check_only = true;
      continue;
    }
    if (std::strncmp(argv[i], "--callgrind", 11) == 0) {
      callgrind_reps = argv[i][11] == '=' ? std::atoi(argv[i] + 12) : 200;
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

  std::fprintf(stderr, "f(x) = W2 tanh(W1 x + b1), hidden %zu, double; widest SIMD: %s (%zu doubles)\n", hidden,
               xsimd::default_arch::name(), xsimd::batch<double>::size);
  for_each_shape<do_check>();
  if (g_failed) {
    std::fprintf(stderr, "\nJACOBIAN CHECK FAILED (see above): nothing timed\n");
    return 1;
  }
  if (check_only) return 0;

  if (callgrind_reps > 0) {
#ifdef JS_HAVE_CALLGRIND
    if (!RUNNING_ON_VALGRIND) std::fprintf(stderr, "--callgrind: not running under valgrind, nothing is counted\n");
    for_each_shape<do_callgrind>(callgrind_reps);
    return 0;
#else
    std::fprintf(stderr, "--callgrind: built without <valgrind/callgrind.h>\n");
    return 2;
#endif
  }

  for_each_shape<do_register>();
  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json")
    inner = std::make_unique<benchmark::JSONReporter>();
  else  // colours as Google Benchmark's own console reporter would have them
    inner = std::make_unique<benchmark::ConsoleReporter>(
        color == "true" || color == "yes" || (color == "auto" && isatty(STDOUT_FILENO))
            ? benchmark::ConsoleReporter::OO_ColorTabular
            : benchmark::ConsoleReporter::OO_Tabular);
  summary_reporter rep(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rep);
  benchmark::Shutdown();
  return 0;
}
