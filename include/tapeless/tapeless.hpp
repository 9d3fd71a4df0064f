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
// Everything the library offers is here, so that no feature is missing for
// want of a header. That includes xsimd (the batch engine, Jacobians,
// Hessians, sequences, training), which is most of what including this
// header costs: about 1.5 s more per translation unit than the core alone
// with g++ 12 -O2 (README, "Build, demo and tests"). A translation unit
// that needs only the one-sample sweeps can include tapeless/core.hpp
// instead. The one exception is dist/mpi.hpp (training over MPI): it
// needs MPI's headers and library, so a program includes it itself.

#include <tapeless/core.hpp>
#include <tapeless/data/labeled_csv.hpp>
#include <tapeless/eval/batch.hpp>
#include <tapeless/eval/hessian.hpp>
#include <tapeless/eval/jacobian.hpp>
#include <tapeless/eval/parallel_batch.hpp>
#include <tapeless/eval/predict.hpp>
#include <tapeless/eval/sample_engine.hpp>
#include <tapeless/eval/sequence.hpp>
#include <tapeless/init/init.hpp>
#include <tapeless/io/io.hpp>
#include <tapeless/optim/optim.hpp>
#include <tapeless/train/diagnostics.hpp>
#include <tapeless/train/fit.hpp>
#include <tapeless/util/describe.hpp>
