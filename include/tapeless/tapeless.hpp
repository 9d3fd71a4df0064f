#pragma once
// tapeless: networks as types, with compiler-generated forward and adjoint
// code for exactly that graph. Include this header and write the math:
//
//   using namespace tapeless;
//   constexpr auto x = input<"x", vec<2>>;
//   constexpr auto W = param<"W", mat<1, 2>>;
//   constexpr auto loss = 0.5_c * square(sum(W * x) - input<"y">);
//   params<decltype(loss)> P;
//   auto [L, dP] = value_and_grad(loss, P, bind<"x">(xv), bind<"y">(1.0));
//
// Not included here, as they pull in xsimd: eval/jacobian.hpp (whole
// Jacobians, many JVPs per pass), eval/hessian.hpp (hvp, hessian),
// eval/batch.hpp (SIMD lanes over a batch).

#include <tapeless/core/expr.hpp>
#include <tapeless/core/graph.hpp>
#include <tapeless/core/name.hpp>
#include <tapeless/core/params.hpp>
#include <tapeless/core/shape.hpp>
#include <tapeless/core/tensor.hpp>
#include <tapeless/core/workspace.hpp>
#include <tapeless/eval/api.hpp>
#include <tapeless/eval/bind.hpp>
#include <tapeless/eval/trajectory.hpp>
#include <tapeless/math/dual.hpp>
#include <tapeless/nn/nn.hpp>
#include <tapeless/ops/ops.hpp>
#include <tapeless/util/format.hpp>
#include <tapeless/util/gradcheck.hpp>
