#!/usr/bin/env python3
"""Markdown table of tapeless_jacobian_modes results: forward vs reverse
sweeps for the Jacobian of f: R^n -> R^m (bench/jacobian_modes.cpp).

    tapeless_jacobian_modes --benchmark_repetitions=15 --benchmark_format=json > jac.json
    python3 bench/jacobian_table.py jac.json [more.json ...] [--label gcc ...]

    mkdir -p /tmp/cg && valgrind --tool=callgrind --callgrind-out-file=/tmp/cg/jac.%p \\
        tapeless_jacobian_modes_avx2 --callgrind=50
    python3 bench/jacobian_table.py --callgrind '/tmp/cg/jac.*.*'

JSON: uses the "median" aggregate rows when the run had repetitions
(otherwise the single iteration rows) and their CPU time per Jacobian.
Callgrind: one dump per row (CALLGRIND_DUMP_STATS_AT), instructions (Ir)
per Jacobian = the dump's summary / the repetitions in its label.

Columns: type, n, m, forward (passes), reverse (passes), fwd/rev, the mode
`automatic` picked, its own measurement, and whether the pick was the
faster of the two forced rows ("tie" when they are within --tie, default
3 %).
"""
import argparse
import glob
import json
import math
import re
import sys

TRIGGER = "desc: Trigger: Client Request: "
ROW = re.compile(r"^jacobian/(?P<type>[^/]+)/n(?P<n>\d+)_m(?P<m>\d+)/(?P<mode>forward|reverse|automatic)$")


def load_json(path):
    with open(path) as f:
        data = json.load(f)
    rows, prio_of = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") != "median":
                continue
            prio = 1
        else:
            prio = 0
        if prio_of.get(name, -1) > prio:
            continue
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        rows[name] = {
            "cost": b["cpu_time"] * scale,
            "passes": int(round(b.get("passes", 0))),
            "lanes": int(round(b.get("lanes", 0))),
            "forward": b.get("forward", 0) > 0.5,
        }
        prio_of[name] = prio
    ctx = data.get("context", {})
    title = (
        f"host {ctx.get('host_name', '?')}, {ctx.get('num_cpus', '?')} cpus, {ctx.get('date', '')}; "
        "CPU ns per Jacobian, " + ("medians" if any(p == 1 for p in prio_of.values()) else "single runs")
    )
    return title, rows


def load_callgrind(paths):
    rows = {}
    for path in paths:
        desc, summary = None, None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith(TRIGGER):
                    desc = line[len(TRIGGER):].strip()
                elif line.startswith("summary:"):
                    summary = int(line.split()[1])
                if line.startswith("fl=") or line.startswith("ob="):
                    break  # the header is over
        if desc is None or summary is None or "#reps=" not in desc:
            continue  # the final dump at exit, or not ours
        name, *fields = desc.split("#")
        kv = dict(f.split("=", 1) for f in fields)
        k = path.rsplit(".", 1)[-1]
        rows[name] = {
            "dump": (path.rsplit(".", 1)[0], int(k) if k.isdigit() else 0),
            "cost": summary / int(kv["reps"]),
            "passes": int(kv["passes"]),
            "lanes": int(kv["lanes"]),
            "forward": kv["forward"] == "1",
        }
    # Dumps are numbered in the order the program made them (file.<pid>.<k>).
    rows = dict(sorted(rows.items(), key=lambda kv: kv[1]["dump"]))
    return "instructions (callgrind Ir) per Jacobian", rows


# The shapes in bench/jacobian_modes.cpp's order (for_each_shape); others
# follow in the order they first appear.
SHAPES = [(64, 1), (64, 2), (64, 4), (64, 8), (64, 16), (64, 32), (64, 64),
          (32, 64), (16, 64), (8, 64), (4, 64), (2, 64), (1, 64),
          (8, 2), (2, 8), (16, 9), (9, 16), (64, 57), (57, 64)]
TYPES = ["double", "float"]


def shape_key(key, first_seen):
    typ, n, m = key
    t = TYPES.index(typ) if typ in TYPES else len(TYPES)
    s = SHAPES.index((n, m)) if (n, m) in SHAPES else len(SHAPES)
    return (t, s, first_seen[key])


def fmt(x):
    if x is None or math.isnan(x):
        return "n/a"
    return f"{x:,.0f}"


def table(title, rows, label, tie):
    shapes = []
    for name in rows:
        m = ROW.match(name)
        if not m:
            continue
        key = (m["type"], int(m["n"]), int(m["m"]))
        if key not in shapes:
            shapes.append(key)
    first_seen = {k: i for i, k in enumerate(shapes)}
    shapes.sort(key=lambda k: shape_key(k, first_seen))
    unit = "Ir" if "Ir" in title else "ns"
    out = [f"### {label}" if label else "", title, ""]
    out.append(
        f"| type | n | m | lanes | forward {unit} (passes) | reverse {unit} (passes) | fwd/rev | "
        f"automatic picked | automatic {unit} | picked the {'cheaper' if unit == 'Ir' else 'faster'} |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---|")
    for typ, n, m in shapes:
        pre = f"jacobian/{typ}/n{n}_m{m}/"
        f, r, a = rows.get(pre + "forward"), rows.get(pre + "reverse"), rows.get(pre + "automatic")
        if not f or not r:
            continue
        ratio = f["cost"] / r["cost"]
        if a:
            picked = "forward" if a["forward"] else "reverse"
            if abs(ratio - 1) <= tie:
                verdict = f"tie (±{tie:.0%})"
            else:
                verdict = "yes" if a["forward"] == (ratio < 1) else "**no**"
        else:
            picked, verdict = "-", "-"
        out.append(
            f"| {typ} | {n} | {m} | {f['lanes']} | {fmt(f['cost'])} ({f['passes']}) | "
            f"{fmt(r['cost'])} ({r['passes']}) | {ratio:.2f} | {picked} | "
            f"{fmt(a['cost']) if a else 'n/a'} | {verdict} |"
        )
    out.append("")
    return "\n".join(line for line in out if line is not None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="Google Benchmark JSON file(s), or callgrind dumps with --callgrind")
    ap.add_argument("--callgrind", action="store_true", help="the files are callgrind dumps (one table for all)")
    ap.add_argument("--label", action="append", default=[], help="title for each table, in order")
    ap.add_argument("--tie", type=float, default=0.03, help="relative difference counted as a tie (default 0.03)")
    args = ap.parse_args()
    if args.callgrind:
        paths = [p for pat in args.files for p in (glob.glob(pat) or [pat])]
        title, rows = load_callgrind(paths)
        if not rows:
            sys.exit("no callgrind dumps with a jacobian row label among the files")
        sys.stdout.write(table(title, rows, args.label[0] if args.label else None, args.tie) + "\n")
        return
    for i, path in enumerate(args.files):
        title, rows = load_json(path)
        sys.stdout.write(table(title, rows, args.label[i] if i < len(args.label) else path, args.tie) + "\n")


if __name__ == "__main__":
    main()
