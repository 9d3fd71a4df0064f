#pragma once
// Saving and loading parameter buffers: tapeless::save, tapeless::load and
// tapeless::file_error. docs/io.md describes the file format.

#include <tapeless/io/file_error.hpp>
#include <tapeless/io/load.hpp>
#include <tapeless/io/save.hpp>
