#!/bin/bash
# Builds and runs the main demo (the seed's worked example).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
dir="$root/build/demo"
[ -f "$dir/build.ninja" ] || CXX=${CXX:-g++} meson setup "$dir" "$root" --buildtype=release -Dtests=false >/dev/null
ninja -C "$dir" examples/seed_example >/dev/null
"$dir/examples/seed_example"
