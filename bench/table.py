#!/usr/bin/env python3
"""Markdown table from Google Benchmark JSON output of tapeless_bench.

    tapeless_bench --benchmark_repetitions=5 --benchmark_format=json > bench.json
    python3 bench/table.py bench.json [more.json ...] [--label gcc --label clang]

Uses the "median" aggregate rows when the run had repetitions (otherwise
the single iteration rows).  Columns: network, type, implementation,
ns/sample (median), GFLOP/s (6 flops per weight per sample, see
bench/common.hpp), ratio to lanes_blocked of the same file (ns/sample of the
row divided by ns/sample of lanes_blocked: > 1 is slower), max rel error of
the gradient against the scalar double reference.  The FMA peak rows come
first.  Several files (e.g. a g++ and a clang++ run) give one table each.
"""
import argparse
import json
import math
import sys


def load_rows(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}
    order = []
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        run_name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") != "median":
                continue
            prio = 1
        else:
            prio = 0
        prev = rows.get(run_name)
        if prev is not None and prev["prio"] > prio:
            continue
        if run_name not in rows:
            order.append(run_name)
        rows[run_name] = {
            "prio": prio,
            "ns": b["ns_per_sample"] * 1e9 if "ns_per_sample" in b else math.nan,
            "gflops": b["GFLOP/s"] * 1e-9 if "GFLOP/s" in b else math.nan,
            "err": b.get("max_rel_err", math.nan),
        }
    return data.get("context", {}), order, rows


def fmt(x, spec):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def table(path, label):
    ctx, order, rows = load_rows(path)
    out = []
    title = label or path
    out.append(f"### {title}")
    reps = ctx.get("library_build_type", "")
    out.append(
        f"host {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} cpus @ "
        f"{ctx.get('mhz_per_cpu', '?')} MHz, {ctx.get('date', '')}"
        + (f", benchmark library {reps}" if reps else "")
    )
    out.append("")
    peaks = [n for n in order if n.startswith("peak/")]
    if peaks:
        out.append("| FMA peak kernel | GFLOP/s |")
        out.append("|---|---:|")
        for n in peaks:
            out.append(f"| {n[5:]} | {fmt(rows[n]['gflops'], '.1f')} |")
        out.append("")
    out.append("| network | type | implementation | ns/sample (median) | GFLOP/s | vs lanes_blocked | max rel err |")
    out.append("|---|---|---|---:|---:|---:|---:|")
    for n in order:
        parts = n.split("/")
        if len(parts) != 3:
            continue
        net, typ, impl = parts
        r = rows[n]
        base = rows.get(f"{net}/{typ}/lanes_blocked")
        ratio = r["ns"] / base["ns"] if base and base["ns"] > 0 else math.nan
        out.append(
            f"| {net} | {typ} | {impl} | {fmt(r['ns'], '.3f')} | {fmt(r['gflops'], '.1f')} | "
            f"{fmt(ratio, '.2f')}x | {fmt(r['err'], '.1e')} |"
        )
    out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+", help="Google Benchmark JSON output file(s)")
    ap.add_argument("--label", action="append", default=[], help="title for each file, in order")
    args = ap.parse_args()
    for i, path in enumerate(args.json):
        label = args.label[i] if i < len(args.label) else None
        sys.stdout.write(table(path, label) + "\n")


if __name__ == "__main__":
    main()
