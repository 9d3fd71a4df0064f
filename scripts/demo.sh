#!/bin/bash
# Builds and runs the main demo: training an MLP on the handwritten digits
# (examples/train_digits.cpp), one progress line per epoch.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
dir="$root/build/demo"
[ -f "$dir/build.ninja" ] || CXX=${CXX:-g++} meson setup "$dir" "$root" --buildtype=release -Dtests=false >/dev/null
ninja -C "$dir" examples/train_digits >/dev/null
"$dir/examples/train_digits"
