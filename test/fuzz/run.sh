#!/usr/bin/env bash
# Builds the libFuzzer harnesses of this directory with clang++-14 (no Meson
# needed) and runs each for a number of seconds, starting from the seed
# corpus committed next to it. Exits 1 on any finding (crash, sanitizer
# report, leak, timeout, out-of-memory, a malloc above the cap) or build
# failure; the input that caused it is saved in the output directory.
#
#   test/fuzz/run.sh [SECONDS]        # per fuzzer, default 60
#
# Environment: CXX (default clang++-14), TAPELESS_FUZZ_OUT (default
# build/fuzz under the repository). Needs the clang fuzzer runtime (Debian:
# libclang-rt-14-dev) and Boost.Hana (libboost-dev). Takes about 2 × SECONDS
# plus a minute of compiling.
set -euo pipefail

seconds=${1:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TAPELESS_FUZZ_OUT:-$root/build/fuzz}
cxx=${CXX:-clang++-14}
mkdir -p "$out"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -I "$root/include")

status=0
for name in load csv; do
  echo "== ${name}_fuzz: building"
  if ! "$cxx" "${flags[@]}" "$here/${name}_fuzz.cpp" -o "$out/${name}_fuzz"; then
    echo "== ${name}_fuzz: build failed" >&2
    exit 1
  fi
  # New inputs go to a scratch corpus; the committed seeds are only read.
  corpus="$out/corpus-$name"
  mkdir -p "$corpus" "$out/artifacts"
  echo "== ${name}_fuzz: fuzzing for ${seconds} s"
  # malloc_limit_mb: no single allocation above 64 MiB (a forged length must
  # not get one); rss_limit_mb: the whole process under 2 GiB.
  if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "./${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64 \
          -max_len=65536 -print_final_stats=1 \
          -artifact_prefix="$out/artifacts/${name}-" "$corpus" "$here/corpus/$name" \
          >"$out/${name}_fuzz.log" 2>&1); then
    status=1
    echo "== ${name}_fuzz: FINDING; see $out/${name}_fuzz.log and $out/artifacts/" >&2
    tail -n 40 "$out/${name}_fuzz.log" >&2
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/${name}_fuzz.log" | sed "s/^/   /" || true
    echo "== ${name}_fuzz: no findings"
  fi
done
exit "$status"
