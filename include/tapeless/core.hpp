#pragma once
// The core of tapeless without xsimd: expressions, ops and layers, and the
// one-sample sweeps (value, value_and_grad, vjp, jvp, trajectory), dual
// numbers, printing and gradcheck. tapeless/tapeless.hpp includes this and
// everything else (the SIMD batch engine, Jacobians, Hessians, sequences,
// training, initializers, optimizers, saving and loading).

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
