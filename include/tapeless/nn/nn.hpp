#pragma once
// Networks from layers: dense, convolution and pooling, activations,
// residual and repeated blocks, recurrent cells, losses.

#include <tapeless/nn/activations.hpp>
#include <tapeless/nn/conv.hpp>
#include <tapeless/nn/dense.hpp>
#include <tapeless/nn/layer.hpp>
#include <tapeless/nn/losses.hpp>
#include <tapeless/nn/recurrent.hpp>
