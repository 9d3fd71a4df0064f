#pragma once
// Every op: one header each, value, VJP and JVP side by side.

#include <tapeless/ops/abs.hpp>
#include <tapeless/ops/add.hpp>
#include <tapeless/ops/div.hpp>
#include <tapeless/ops/dot.hpp>
#include <tapeless/ops/exp.hpp>
#include <tapeless/ops/leaky_relu.hpp>
#include <tapeless/ops/log.hpp>
#include <tapeless/ops/matmul.hpp>
#include <tapeless/ops/matvec.hpp>
#include <tapeless/ops/max.hpp>
#include <tapeless/ops/mean.hpp>
#include <tapeless/ops/min.hpp>
#include <tapeless/ops/mul.hpp>
#include <tapeless/ops/neg.hpp>
#include <tapeless/ops/outer.hpp>
#include <tapeless/ops/relu.hpp>
#include <tapeless/ops/sigmoid.hpp>
#include <tapeless/ops/smooth_abs.hpp>
#include <tapeless/ops/softplus.hpp>
#include <tapeless/ops/sqrt.hpp>
#include <tapeless/ops/square.hpp>
#include <tapeless/ops/sub.hpp>
#include <tapeless/ops/sum.hpp>
#include <tapeless/ops/tanh.hpp>
#include <tapeless/ops/transpose.hpp>
