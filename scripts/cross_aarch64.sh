#!/bin/bash
# Cross-builds the test suite and the examples for 64-bit ARM (aarch64,
# NEON lanes) with Debian's cross compiler and runs them under qemu-user.
# Installs what it needs first (as root).
#
#   bash scripts/cross_aarch64.sh          # build/aarch64
#
# The consumer suite (installing and building against the installed tree)
# is left out: it runs the build machine's compiler on its own.
#
# Cost, measured on a 2-core x86-64 machine under nice -n 19, the machine
# otherwise nearly idle, the packages installed already: 8 min, of which
# the build 5.5 min and the 139 tests under qemu 2.5 min (the longest,
# sequence_digits, 76 s). Under nice with other builds running the build
# took 29 min. Exercised: Debian 12's aarch64-linux-gnu-g++ 12.2 and
# qemu-user 7.2, xsimd 8.1 (NEON, 4 float lanes), Boost 1.74, doctest 2.4.9,
# Meson 1.0.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh" g++-aarch64-linux-gnu qemu-user

dir="$root/build/aarch64"
rm -rf "$dir"
meson setup "$dir" "$root" --cross-file "$root/cross/aarch64-linux-gnu.ini" --buildtype=release -Doptimization=1 \
  -Dbenchmarks=false >/dev/null
start=$(date +%s)
ninja -C "$dir" -j "$(nproc)"
echo "=== aarch64: built in $(( $(date +%s) - start )) s"
start=$(date +%s)
# Timeouts times 3: under qemu the examples run about 40 times slower than
# natively (sequence_digits 76 s instead of 1.8 s on a quiet machine, 300 s
# allowed), and the tests without a timeout of their own get Meson's 30 s.
meson test -C "$dir" --num-processes "$(nproc)" --timeout-multiplier 3 --print-errorlogs --no-suite consumer
echo "=== aarch64: tests ran under qemu in $(( $(date +%s) - start )) s"
