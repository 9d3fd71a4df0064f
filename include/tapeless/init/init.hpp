#pragma once
// Weight initialization: a seeded generator (rng.hpp), reproducible normal
// variates (normal.hpp), the schemes (schemes.hpp) and initialize() for a
// whole parameter buffer (initialize.hpp). See docs/init.md.

#include <tapeless/init/initialize.hpp>
#include <tapeless/init/normal.hpp>
#include <tapeless/init/rng.hpp>
#include <tapeless/init/schemes.hpp>
