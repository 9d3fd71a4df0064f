#!/bin/bash
# Seconds (user+sys, best of 3) to compile the M network TU and the residual
# network R at depths 8, 16, 32, 64, with g++ and clang++-14, at -O3
# -march=native as the benchmarks are built. Prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
include="$here/../../include"
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
best_of_3() {
  local best=1000000
  for _ in 1 2 3; do
    local t
    /usr/bin/time -f "%U %S" -o "$timing" "$@" >/dev/null 2>&1
    t=$(tail -1 "$timing" | awk '{print $1 + $2}')
    best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
  done
  echo "$best"
}
compilers=(${COMPILERS:-g++ clang++-14})
header="| TU |"
for cxx in "${compilers[@]}"; do header+=" $cxx (s) |"; done
echo "$header"
echo "|---|$(printf -- '---:|%.0s' "${compilers[@]}")"
row() {
  local label=$1; shift
  local line="| $label |"
  for cxx in "${compilers[@]}"; do
    line+=" $(best_of_3 "$cxx" -std=c++20 -O3 -march=native -w -I"$include" "$@" -c -o /dev/null) |"
  done
  echo "$line"
}
row "M network (scalar + SIMD batch)" "$here/mlp_m.cpp"
for depth in 8 16 32 64; do
  row "R, depth $depth" -DTAPELESS_DEPTH=$depth "$here/residual.cpp"
done
