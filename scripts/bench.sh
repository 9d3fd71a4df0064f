#!/bin/bash
# Builds the benchmarks with g++ and clang++-14 (-O3 -march=native on the
# benchmark only), checks every implementation's gradient, runs each one 5
# times and prints the markdown table of medians (also written to
# build/bench-table.md).
#
#   bash scripts/bench.sh               # full run
#   BENCH_FILTER='M/' bash scripts/bench.sh
#
# With --jacobian it runs the Jacobian-mode benchmark instead
# (bench/jacobian_modes.cpp: forward vs reverse sweeps vs the automatic
# choice; 15 repetitions of 0.1 s, randomly interleaved, medians) and writes
# its table to build/bench-jacobian-table.md:
#
#   bash scripts/bench.sh --jacobian
#   COMPILERS=g++ BENCH_FILTER='double' bash scripts/bench.sh --jacobian
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jacobian=0
if [ "${1:-}" = "--jacobian" ]; then jacobian=1; shift; fi
[ $# -eq 0 ] || { echo "usage: bash scripts/bench.sh [--jacobian]" >&2; exit 2; }
bash "$root/scripts/setup.sh"
jsons=() labels=()
for cxx in ${COMPILERS:-g++ clang++-14}; do
  dir="$root/build/bench-${cxx%%+*}"
  [ -f "$dir/build.ninja" ] || CXX=$cxx meson setup "$dir" "$root" -Dbenchmarks=true -Dtests=false -Dexamples=false >/dev/null
  if [ $jacobian -eq 1 ]; then
    ninja -C "$dir" bench/tapeless_jacobian_modes >/dev/null
    "$dir/bench/tapeless_jacobian_modes" --benchmark_repetitions=15 --benchmark_min_time=0.1 \
      --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
      --benchmark_filter="${BENCH_FILTER:-.}" --benchmark_format=json > "$dir/jacobian.json"
    jsons+=("$dir/jacobian.json")
  else
    ninja -C "$dir" bench/tapeless_bench >/dev/null
    "$dir/bench/tapeless_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_filter="${BENCH_FILTER:-.}" --benchmark_format=json > "$dir/bench.json"
    jsons+=("$dir/bench.json")
  fi
  labels+=(--label "$($cxx --version | head -1)")
done
if [ $jacobian -eq 1 ]; then
  python3 "$root/bench/jacobian_table.py" "${jsons[@]}" "${labels[@]}" | tee "$root/build/bench-jacobian-table.md"
else
  python3 "$root/bench/table.py" "${jsons[@]}" "${labels[@]}" | tee "$root/build/bench-table.md"
fi
