#!/bin/bash
# Builds and runs the whole test suite with g++ and with clang++-14, each in
# its own build directory (build/gcc, build/clang). Sets up the machine first.
#
#   bash scripts/test.sh                 # both compilers
#   COMPILERS="g++" bash scripts/test.sh # one
#   SKIP_SETUP=1 ...                     # not Debian 12: the packages are there already
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -n "${SKIP_SETUP:-}" ] || bash "$root/scripts/setup.sh"

compilers=(${COMPILERS:-g++ clang++-14})
jobs=$(nproc)
for cxx in "${compilers[@]}"; do
  dir="$root/build/${cxx%%+*}"
  [ "$cxx" = "clang++-14" ] || [ "$cxx" = "clang++" ] && dir="$root/build/clang"
  [ "$cxx" = "g++" ] && dir="$root/build/gcc"
  echo "=== $cxx: $dir"
  rm -rf "$dir"
  CXX=$cxx meson setup "$dir" "$root" --buildtype=release -Doptimization=1 -Dbenchmarks=false ${MESON_ARGS:-} >/dev/null
  start=$(date +%s)
  ninja -C "$dir" -j "$jobs"
  echo "=== $cxx: built in $(( $(date +%s) - start )) s"
  start=$(date +%s)
  meson test -C "$dir" --num-processes "$jobs" --print-errorlogs
  echo "=== $cxx: tests ran in $(( $(date +%s) - start )) s"
done
echo "=== all tests passed with: ${compilers[*]}"
