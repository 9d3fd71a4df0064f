// Control case: the calls the other cases get wrong, written correctly.
// expect-compile
#include <array>
#include <vector>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/core.hpp>
using namespace tapeless;
constexpr auto x = input<"x", vec<3>>;
constexpr auto f = tanh(param<"W", mat<2, 3>> * x);
constexpr auto g = sum(square(f));
constexpr auto s = input<"s", vec<2>>;
constexpr auto u = input<"u", vec<1>>;
constexpr auto problem = trajectory(param<"A", mat<2, 2>> * s + param<"B", mat<2, 1>> * u, dot(s, s) + dot(u, u));
void use() {
  params<decltype(f), double> P;
  const std::array<double, 3> xv{1, 2, 3};
  (void)jacobian(f, P, wrt<"x", "W">, bind<"x">(xv));
  (void)jvp(f, P, wrt<"x">, tensor<double, mat<3, 2>>{}, bind<"x">(xv));
  (void)hvp(g, P, bind<"x">(xv), tangent<"x">(xv));
  (void)hessian(g, P, wrt<"x">, bind<"x">(xv));
  (void)value(f, P, bind<"x">(xv));
  decltype(problem)::params_type<double> Q, dQ;
  std::vector<double> controls(4), d(4), buffer(problem.buffer_size(4));
  const std::array<double, 2> s0{1, 0};
  (void)problem.cost_and_gradient(Q, s0, controls, buffer, {.params = &dQ, .controls = d});
}
