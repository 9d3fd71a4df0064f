#pragma once
// Optimizers on the flat parameter buffer, and gradient clipping. Each
// optimizer holds its state as buffers of the parameters' own type (no
// heap), takes its hyperparameters in a plain options struct and updates
// the parameters in place: `opt.step(P, G)`. See docs/optim.md.

#include <tapeless/optim/adam.hpp>
#include <tapeless/optim/adamw.hpp>
#include <tapeless/optim/clip.hpp>
#include <tapeless/optim/sgd.hpp>
