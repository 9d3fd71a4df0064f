#!/bin/bash
# Compile time of one translation unit, with g++ and clang++-14: seconds
# (user+sys, best of 3) and the compiler's peak memory (largest resident
# size of that best run, /usr/bin/time %M) for the M network TU and for the
# residual network R (bench/compile_time/residual.cpp) at several depths,
# unrolled, and for the same stack as one loop node (repeat.cpp,
# nn::repeat<N, "block">) at several block counts. Prints a markdown table.
#
#   bash bench/compile_time/run.sh                  # -O2 -march=native, depths 8 16 32 64 128
#   DEPTHS="16 32" REPEATS="8 1000" COMPILERS=g++ OPT=-O3 bash bench/compile_time/run.sh
#   SUITE=1 bash bench/compile_time/run.sh          # also the test suite's build time
#
# R at depth 128 takes minutes and several GB with g++ 12; set DEPTHS to
# leave it out. With SUITE=1 the test suite is built once per compiler in
# a temporary directory (ninja -j nproc, wall seconds), as scripts/test.sh
# builds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root="$here/../.."
include="$root/include"
opt=${OPT:--O2}
depths=(${DEPTHS:-8 16 32 64 128})
repeats=(${REPEATS:-8 64 1000})
compilers=(${COMPILERS:-g++ clang++-14})
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT

# "seconds memory-in-MB" of the fastest of three compilations.
best_of_3() {
  local best=1000000 best_mb=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%U %S %M" -o "$timing" "$@" >/dev/null 2>&1
    local t mb
    t=$(tail -1 "$timing" | awk '{print $1 + $2}')
    mb=$(tail -1 "$timing" | awk '{printf "%.0f", $3 / 1024}')
    if awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$t
      best_mb=$mb
    fi
  done
  echo "$best s, $best_mb MB"
}

header="| TU ($opt -march=native) |"
for cxx in "${compilers[@]}"; do header+=" $cxx |"; done
echo "$header"
echo "|---|$(printf -- '---:|%.0s' "${compilers[@]}")"
row() {
  local label=$1; shift
  local line="| $label |"
  for cxx in "${compilers[@]}"; do
    line+=" $(best_of_3 "$cxx" -std=c++20 "$opt" -march=native -w -I"$include" "$@" -c -o /dev/null) |"
  done
  echo "$line"
}
row "M network (scalar + SIMD batch)" "$here/mlp_m.cpp"
for depth in "${depths[@]}"; do
  row "R, depth $depth" -DTAPELESS_DEPTH="$depth" "$here/residual.cpp"
done
for depth in "${repeats[@]}"; do
  row "R as repeat<$depth>" -DTAPELESS_DEPTH="$depth" "$here/repeat.cpp"
done

if [ "${SUITE:-0}" = 1 ]; then
  echo
  echo "| test suite build (ninja -j $(nproc), wall) | seconds |"
  echo "|---|---:|"
  for cxx in "${compilers[@]}"; do
    dir=$(mktemp -d)
    CXX=$cxx meson setup "$dir" "$root" --buildtype=release -Doptimization=1 -Dbenchmarks=false >/dev/null
    start=$(date +%s)
    ninja -C "$dir" -j "$(nproc)" >/dev/null
    echo "| $cxx | $(( $(date +%s) - start )) |"
    rm -rf "$dir"
  done
fi
