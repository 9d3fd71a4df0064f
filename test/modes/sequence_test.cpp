// Sequence models: an LSTM over 5 steps against an LSTM and its
// backpropagation through time written out in this file; a GRU and a loss
// on every step against central differences; lanes against one sequence at
// a time at every tail size; checkpoints, run-time lengths, s_0, and sizes
// and labels checked before anything is written.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <vector>

#include <tapeless/eval/sequence.hpp>
#include <tapeless/nn/recurrent.hpp>
#include <tapeless/core.hpp>

#include "fixtures.hpp"

using namespace tapeless;

namespace {
using fixtures::mixed_error;

constexpr std::size_t X = 3, H = 4, C = 3;
constexpr auto x = input<"x", vec<X>>;
constexpr auto y = input<"y", class_index<C>>;

// LSTM, loss on the last state: softmax cross-entropy of a dense head on h_T.
constexpr auto lstm_state = input<"s", vec<2 * H>>;
constexpr auto lstm_logits = nn::dense<"head", C>(nn::lstm_hidden<H>(lstm_state));
constexpr auto lstm_model =
    sequence(nn::lstm_cell<"lstm", H>(x, lstm_state), on_last_state(nn::softmax_cross_entropy(lstm_logits, y)));
using lstm_params = decltype(lstm_model)::params_type<double>;

double sigmoid_of(double z) { return 1 / (1 + std::exp(-z)); }

// The LSTM, its loss and its gradient by backpropagation through time,
// written out without the library. Parameters are read from the library's
// buffer by name (W: 4H × X, U: 4H × H, b: 4H, gate rows i, f, g, o).
struct lstm_reference {
  double loss = 0;
  std::vector<double> dW, dU, db, dV, dd;
};
lstm_reference reference_lstm(const lstm_params& P, const std::vector<double>& xs, std::size_t label) {
  const auto W = P.get<"lstm.W">();
  const auto U = P.get<"lstm.U">();
  const auto b = P.get<"lstm.b">();
  const auto V = P.get<"head.W">();
  const auto d = P.get<"head.b">();
  const std::size_t T = xs.size() / X;
  std::vector<std::array<double, H>> h(T + 1), c(T + 1), i(T), f(T), g(T), o(T);
  h[0].fill(0);
  c[0].fill(0);
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t k = 0; k < H; ++k) {
      double z[4];
      for (std::size_t q = 0; q < 4; ++q) {
        const std::size_t r = q * H + k;
        z[q] = b[r];
        for (std::size_t e = 0; e < X; ++e) z[q] += W(r, e) * xs[t * X + e];
        for (std::size_t j = 0; j < H; ++j) z[q] += U(r, j) * h[t][j];
      }
      i[t][k] = sigmoid_of(z[0]);
      f[t][k] = sigmoid_of(z[1]);
      g[t][k] = std::tanh(z[2]);
      o[t][k] = sigmoid_of(z[3]);
      c[t + 1][k] = f[t][k] * c[t][k] + i[t][k] * g[t][k];
      h[t + 1][k] = o[t][k] * std::tanh(c[t + 1][k]);
    }
  }
  std::array<double, C> logits{}, p{};
  double top = -1e300, norm = 0;
  for (std::size_t m = 0; m < C; ++m) {
    logits[m] = d[m];
    for (std::size_t k = 0; k < H; ++k) logits[m] += V(m, k) * h[T][k];
    top = std::max(top, logits[m]);
  }
  for (std::size_t m = 0; m < C; ++m) norm += std::exp(logits[m] - top);
  lstm_reference out;
  out.loss = std::log(norm) + top - logits[label];
  out.dW.assign(4 * H * X, 0);
  out.dU.assign(4 * H * H, 0);
  out.db.assign(4 * H, 0);
  out.dV.assign(C * H, 0);
  out.dd.assign(C, 0);
  std::array<double, H> dh{}, dc{};
  for (std::size_t m = 0; m < C; ++m) {
    p[m] = std::exp(logits[m] - top) / norm - (m == label ? 1 : 0);
    out.dd[m] = p[m];
    for (std::size_t k = 0; k < H; ++k) {
      out.dV[m * H + k] = p[m] * h[T][k];
      dh[k] += V(m, k) * p[m];
    }
  }
  for (std::size_t t = T; t-- > 0;) {
    std::array<double, 4 * H> dz{};
    for (std::size_t k = 0; k < H; ++k) {
      const double tc = std::tanh(c[t + 1][k]);
      const double d_o = dh[k] * tc;
      dc[k] += dh[k] * o[t][k] * (1 - tc * tc);
      dz[k] = dc[k] * g[t][k] * i[t][k] * (1 - i[t][k]);
      dz[H + k] = dc[k] * c[t][k] * f[t][k] * (1 - f[t][k]);
      dz[2 * H + k] = dc[k] * i[t][k] * (1 - g[t][k] * g[t][k]);
      dz[3 * H + k] = d_o * o[t][k] * (1 - o[t][k]);
      dc[k] *= f[t][k];
    }
    std::array<double, H> dh_prev{};
    for (std::size_t r = 0; r < 4 * H; ++r) {
      out.db[r] += dz[r];
      for (std::size_t e = 0; e < X; ++e) out.dW[r * X + e] += dz[r] * xs[t * X + e];
      for (std::size_t j = 0; j < H; ++j) {
        out.dU[r * H + j] += dz[r] * h[t][j];
        dh_prev[j] += U(r, j) * dz[r];
      }
    }
    dh = dh_prev;
  }
  return out;
}

template <class Params>
Params random_parameters(unsigned seed, double scale = 0.8) {
  Params P;
  fixtures::randomize(P, seed, scale);
  return P;
}

template <class Model, class E>
using scalar_engine = sequence_engine<Model, typename Model::template params_type<E>, E>;
template <class Model, class E>
using lane_engine = sequence_engine<Model, typename Model::template params_type<E>>;

// dL/dθ_k by central differences of the engine's loss (in double).
template <class Model, class... B>
std::vector<double> central_differences(const typename Model::template params_type<double>& P, std::size_t n,
                                        const B&... bindings) {
  auto engine = std::make_unique<scalar_engine<Model, double>>();
  auto Q = P;
  std::vector<double> out(P.size());
  const double h = 1e-6;
  for (std::size_t k = 0; k < P.size(); ++k) {
    const double keep = Q.data()[k];
    Q.data()[k] = keep + h;
    const double up = engine->value(Q, n, bindings...);
    Q.data()[k] = keep - h;
    const double down = engine->value(Q, n, bindings...);
    Q.data()[k] = keep;
    out[k] = (up - down) / (2 * h);
  }
  return out;
}

}  // namespace

TEST_CASE("LSTM over 5 steps: the loss and every parameter gradient equal backpropagation through time by hand") {
  const auto P = random_parameters<lstm_params>(7);
  for (std::size_t label = 0; label < C; ++label) {
    CAPTURE(label);
    const auto xs = fixtures::random_vector(5 * X, unsigned(11 + label));
    const std::array<double, 1> ys{double(label)};
    const lstm_reference expected = reference_lstm(P, xs, label);

    auto engine = std::make_unique<scalar_engine<decltype(lstm_model), double>>();
    lstm_params G;
    const double L = engine->value_and_grad_into(P, G, 1, bind<"x">(xs), bind<"y">(ys));
    CHECK(mixed_error(L, expected.loss) <= 1e-14);
    CHECK(mixed_error(engine->value(P, 1, bind<"x">(xs), bind<"y">(ys)), expected.loss) <= 1e-14);
    auto compare = [](std::span<const double> got, const std::vector<double>& want) {
      REQUIRE(got.size() == want.size());
      for (std::size_t k = 0; k < want.size(); ++k) {
        CAPTURE(k);
        CHECK(mixed_error(got[k], want[k]) <= 1e-13);
      }
    };
    compare(G.get<"lstm.W">().span(), expected.dW);
    compare(G.get<"lstm.U">().span(), expected.dU);
    compare(G.get<"lstm.b">().span(), expected.db);
    compare(G.get<"head.W">().span(), expected.dV);
    compare(G.get<"head.b">().span(), expected.dd);

    // And against central differences of the loss.
    const auto fd = central_differences<decltype(lstm_model)>(P, 1, bind<"x">(xs), bind<"y">(ys));
    for (std::size_t k = 0; k < P.size(); ++k) {
      CAPTURE(k);
      CHECK(mixed_error(G.data()[k], fd[k]) <= 1e-8);
    }
  }
}

namespace {
// A GRU with a regression loss on every step: step t's input holds X
// features and a target, and the loss is on the state after the step
// (the running loss reads the step itself, whose nodes it shares), plus a
// small loss on the last state.
constexpr auto gx = input<"x", vec<X + 1>>;
constexpr auto gh = input<"s", vec<H>>;
constexpr auto gru_step = nn::gru_cell<"gru", H>(slice<0, X>(gx), gh);
constexpr auto gru_model = sequence(gru_step, on_every_step(square(dot(param<"readout", vec<H>>, gru_step) - at<X>(gx))),
                                    on_last_state(0.25_c * dot(gh, gh)));
using gru_params = decltype(gru_model)::params_type<double>;

// The GRU's loss written out (W: 3H × X, U: 3H × H, b: 3H, rows r, z, n).
double reference_gru_loss(const gru_params& P, const std::vector<double>& xs) {
  const auto W = P.get<"gru.W">();
  const auto U = P.get<"gru.U">();
  const auto b = P.get<"gru.b">();
  const auto w = P.get<"readout">();
  const std::size_t T = xs.size() / (X + 1);
  std::array<double, H> h{};
  double loss = 0;
  for (std::size_t t = 0; t < T; ++t) {
    const double* in = xs.data() + t * (X + 1);
    std::array<double, 3 * H> a{}, u{};
    for (std::size_t r = 0; r < 3 * H; ++r) {
      a[r] = b[r];
      for (std::size_t e = 0; e < X; ++e) a[r] += W(r, e) * in[e];
      for (std::size_t j = 0; j < H; ++j) u[r] += U(r, j) * h[j];
    }
    std::array<double, H> next{};
    for (std::size_t k = 0; k < H; ++k) {
      const double reset = sigmoid_of(a[k] + u[k]);
      const double update = sigmoid_of(a[H + k] + u[H + k]);
      const double candidate = std::tanh(a[2 * H + k] + reset * u[2 * H + k]);
      next[k] = (1 - update) * candidate + update * h[k];
    }
    h = next;
    double prediction = 0;
    for (std::size_t k = 0; k < H; ++k) prediction += w[k] * h[k];
    loss += (prediction - in[X]) * (prediction - in[X]);
  }
  for (std::size_t k = 0; k < H; ++k) loss += 0.25 * h[k] * h[k];
  return loss;
}
}  // namespace

TEST_CASE("GRU with a loss on every step: the loss is the GRU written out, the gradient its central differences") {
  const auto P = random_parameters<gru_params>(21);
  for (std::size_t T : {1u, 2u, 7u}) {
    CAPTURE(T);
    const auto xs = fixtures::random_vector(T * (X + 1), unsigned(T));
    auto engine = std::make_unique<scalar_engine<decltype(gru_model), double>>();
    gru_params G;
    const double L = engine->value_and_grad_into(P, G, 1, bind<"x">(xs));
    CHECK(mixed_error(L, reference_gru_loss(P, xs)) <= 1e-14);
    const auto fd = central_differences<decltype(gru_model)>(P, 1, bind<"x">(xs));
    for (std::size_t k = 0; k < P.size(); ++k) {
      CAPTURE(k);
      CHECK(mixed_error(G.data()[k], fd[k]) <= 1e-8);
    }
  }
}

namespace {
// n sequences of T steps, their labels, and the engine's loss and gradient
// compared with one sequence at a time summed in double.
template <class Model, class E>
void check_lanes_against_one_at_a_time(std::size_t n, std::size_t T) {
  constexpr bool labels = Model::data_inputs::size == 2;  // the step's input and "y"
  using P_t = typename Model::template params_type<E>;
  using Pd_t = typename Model::template params_type<double>;
  constexpr std::size_t width = Model::step_shape::size;
  const auto P = random_parameters<P_t>(5);
  Pd_t Pd;
  for (std::size_t k = 0; k < P.size(); ++k) Pd.data()[k] = double(P.data()[k]);
  std::vector<E> xs(n * T * width), ys(n);
  std::mt19937 rng(unsigned(n * 100 + T));
  std::uniform_real_distribution<double> u(-1, 1);
  for (E& v : xs) v = E(u(rng));
  for (std::size_t i = 0; i < n; ++i) ys[i] = E(i % C);

  auto lanes = std::make_unique<lane_engine<Model, E>>();
  auto one = std::make_unique<scalar_engine<Model, double>>();
  P_t G;
  auto call = [&](auto& engine, const auto& params, auto& grad, std::size_t count, const auto& x_values,
                  const auto& y_values) {
    if constexpr (labels)
      return double(engine.value_and_grad_into(params, grad, count, bind<"x">(x_values), bind<"y">(y_values),
                                                mean_over_batch));
    else
      return double(engine.value_and_grad_into(params, grad, count, bind<"x">(x_values), mean_over_batch));
  };
  const double L = call(*lanes, P, G, n, xs, ys);

  double expected_loss = 0;
  std::vector<double> expected(P.size(), 0.0);
  Pd_t Gi;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> xi(xs.begin() + std::ptrdiff_t(i * T * width), xs.begin() + std::ptrdiff_t((i + 1) * T * width));
    const std::vector<double> yi{double(ys[i])};
    expected_loss += call(*one, Pd, Gi, 1, xi, yi) / double(n);
    for (std::size_t k = 0; k < P.size(); ++k) expected[k] += Gi.data()[k] / double(n);
  }
  const double tolerance = std::is_same_v<E, float> ? 2e-5 : 1e-13;
  CHECK(mixed_error(L, expected_loss) <= tolerance);
  for (std::size_t k = 0; k < P.size(); ++k) {
    CAPTURE(k);
    CHECK(mixed_error(double(G.data()[k]), expected[k]) <= tolerance);
  }
}
}  // namespace

TEST_CASE("lanes: the mean loss and gradient over n sequences equal one sequence at a time, at every tail size") {
  using lanes_f = lane_engine<decltype(lstm_model), float>;
  using lanes_d = lane_engine<decltype(lstm_model), double>;
  for (std::size_t n = 1; n <= 2 * lanes_f::lanes_per_sweep + 1; ++n) {
    CAPTURE(n);
    check_lanes_against_one_at_a_time<decltype(lstm_model), float>(n, 5);
  }
  for (std::size_t n : {std::size_t(1), lanes_d::lanes_per_sweep - 1, lanes_d::lanes_per_sweep, lanes_d::lanes_per_sweep + 3}) {
    CAPTURE(n);
    check_lanes_against_one_at_a_time<decltype(lstm_model), double>(n, 4);
    check_lanes_against_one_at_a_time<decltype(gru_model), double>(n, 3);
  }
}

TEST_CASE("checkpoints give the same bits; one engine takes any length; s_0 can be bound") {
  using P_t = decltype(lstm_model)::params_type<float>;
  const auto P = random_parameters<P_t>(3);
  auto engine = std::make_unique<lane_engine<decltype(lstm_model), float>>();
  const std::size_t n = 21;
  std::vector<float> ys(n);
  for (std::size_t i = 0; i < n; ++i) ys[i] = float(i % C);
  for (std::size_t T : {9u, 1u, 30u, 4u}) {
    CAPTURE(T);
    std::vector<float> xs(n * T * X);
    std::mt19937 rng{unsigned(T)};
    std::uniform_real_distribution<float> u(-1, 1);
    for (float& v : xs) v = u(rng);
    P_t stored, kept_every_3, kept_every_1;
    const float L = engine->value_and_grad_into(P, stored, n, bind<"x">(xs), bind<"y">(ys));
    CHECK(engine->value_and_grad_into(P, kept_every_3, n, bind<"x">(xs), bind<"y">(ys), checkpoints{3}) == L);
    CHECK(engine->value_and_grad_into(P, kept_every_1, n, bind<"x">(xs), bind<"y">(ys), checkpoints{1}) == L);
    CHECK(engine->value(P, n, bind<"x">(xs), bind<"y">(ys)) == L);
    for (std::size_t k = 0; k < P.size(); ++k) {
      CAPTURE(k);
      CHECK(kept_every_3.data()[k] == stored.data()[k]);
      CHECK(kept_every_1.data()[k] == stored.data()[k]);
    }

    // s_0 bound to the final states of the first half of the steps gives
    // the loss of the whole sequence.
    if (T >= 2) {
      const std::size_t half = T / 2;
      std::vector<float> first(n * half * X), second(n * (T - half) * X), middle(n * 2 * H);
      for (std::size_t i = 0; i < n; ++i) {
        std::copy_n(xs.begin() + std::ptrdiff_t(i * T * X), half * X, first.begin() + std::ptrdiff_t(i * half * X));
        std::copy_n(xs.begin() + std::ptrdiff_t((i * T + half) * X), (T - half) * X,
                    second.begin() + std::ptrdiff_t(i * (T - half) * X));
      }
      (void)engine->final_states_into(P, n, middle, bind<"x">(first), bind<"y">(ys));
      CHECK(engine->value(P, n, bind<"x">(second), bind<"y">(ys), bind<"s">(middle)) == doctest::Approx(L).epsilon(1e-5));
    }
  }
}

TEST_CASE("wrong sizes and labels throw before anything is written") {
  using P_t = decltype(lstm_model)::params_type<float>;
  const auto P = random_parameters<P_t>(3);
  auto engine = std::make_unique<lane_engine<decltype(lstm_model), float>>();
  P_t G;
  G.fill(7.0f);
  const std::vector<float> xs(4 * 5 * X, 0.5f), ys{0, 1, 2, 1};
  CHECK_THROWS_AS(engine->value_and_grad_into(P, G, 4, bind<"x">(std::span(xs).first(xs.size() - 1)), bind<"y">(ys)),
                  shape_error);
  CHECK_THROWS_AS(engine->value_and_grad_into(P, G, 3, bind<"x">(xs), bind<"y">(ys)), shape_error);
  const std::vector<float> bad_labels{0, 1, 3, 1};
  CHECK_THROWS_WITH_AS(engine->value_and_grad_into(P, G, 4, bind<"x">(xs), bind<"y">(bad_labels)),
                       doctest::Contains("label 'y' (class_index<3>) holds 3 for sample 2"), label_error);
  std::vector<float> states(4 * 2 * H - 1);
  CHECK_THROWS_AS(engine->final_states_into(P, 4, states, bind<"x">(xs), bind<"y">(ys)), shape_error);
  // A count whose n * S wraps around to the span's size is refused too.
  std::vector<float> one_state(2 * H);
  constexpr std::size_t S = 2 * H;  // a power of two: 2^64 / S is whole
  static_assert((S & (S - 1)) == 0);
  const std::size_t wraps = std::size_t(-1) / S + 2;  // 2^64 / S + 1 sequences: wraps * S == S modulo 2^64
  CHECK_THROWS_WITH_AS(engine->final_states_into(P, wraps, one_state, bind<"x">(xs), bind<"y">(ys)),
                       doctest::Contains("more than fit in memory"), shape_error);
  for (float g : G.span()) CHECK(g == 7.0f);
  CHECK(std::isfinite(engine->value_and_grad_into(P, G, 4, bind<"x">(xs), bind<"y">(ys))));
}
