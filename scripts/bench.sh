#!/bin/bash
# Builds the benchmarks with g++ and clang++-14 (-O3 -march=native on the
# benchmark only), checks every implementation's gradient, runs each one 5
# times and prints the markdown table of medians (also written to
# build/bench-table.md).
#
#   bash scripts/bench.sh               # full run
#   BENCH_FILTER='M/' bash scripts/bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
jsons=() labels=()
for cxx in ${COMPILERS:-g++ clang++-14}; do
  dir="$root/build/bench-${cxx%%+*}"
  [ -f "$dir/build.ninja" ] || CXX=$cxx meson setup "$dir" "$root" -Dbenchmarks=true -Dtests=false -Dexamples=false >/dev/null
  ninja -C "$dir" bench/tapeless_bench >/dev/null
  "$dir/bench/tapeless_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_filter="${BENCH_FILTER:-.}" --benchmark_format=json > "$dir/bench.json"
  jsons+=("$dir/bench.json") labels+=(--label "$($cxx --version | head -1)")
done
python3 "$root/bench/table.py" "${jsons[@]}" "${labels[@]}" | tee "$root/build/bench-table.md"
