#!/usr/bin/env python3
"""Runs one compile-fail case: compiles it and checks the outcome.

Usage: run_case.py --include DIR [--compiler-id ID] CASE.cpp -- COMPILER [ARGS...]

The case file says what must happen, in comment lines:

  // expect: TEXT          compilation must fail and the output must contain
                           TEXT (several lines allowed; all must match)
  // expect-errors: N      ...and report exactly N errors (no cascade)
  // expect-compile        compilation must succeed (a control case)

Compiler output and expectations are compared after the same normalization,
so one expectation fits both g++ and clang: the namespace qualifiers
`tapeless::detail::` and `tapeless::` are dropped, `> >` becomes `>>`, and
typographic quotes become ASCII ones. Source lines are not echoed (for the
Meson compiler ids gcc and clang), so an expectation cannot be met merely by
the compiler quoting a line of a header or of the case itself. The exit
status is 0 when the case behaves as described and 1 otherwise (including a
malformed case file or a compiler that cannot be run).
"""

import argparse
import os
import re
import subprocess
import sys
import time

# Launchers Meson may put in front of the compiler; they only get in the way
# of a syntax-only run.
WRAPPERS = {"ccache", "sccache", "distcc", "icecc", "buildcache"}

EXPECT = re.compile(r"^\s*//\s*expect:\s*(.*?)\s*$")
EXPECT_ERRORS = re.compile(r"^\s*//\s*expect-errors:\s*(\d+)\s*$")
EXPECT_COMPILE = re.compile(r"^\s*//\s*expect-compile\s*$")
# Turns off the quoted source lines and carets, by Meson compiler id.
NO_CARET = {"gcc": "-fno-diagnostics-show-caret", "clang": "-fno-caret-diagnostics"}
ERROR_LINE = re.compile(r"(?:^|: )(?:fatal )?error: ", re.MULTILINE)


def normalize(text):
    text = text.replace("\u2018", "'").replace("\u2019", "'")
    text = text.replace("tapeless::detail::", "").replace("tapeless::", "")
    while "> >" in text:
        text = text.replace("> >", ">>")
    return text


def parse_case(path):
    expects, errors, compiles = [], None, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if m := EXPECT.match(line):
                if not m.group(1):
                    raise ValueError("empty '// expect:' line")
                expects.append(m.group(1))
            elif m := EXPECT_ERRORS.match(line):
                errors = int(m.group(1))
            elif EXPECT_COMPILE.match(line):
                compiles = True
    if compiles and (expects or errors is not None):
        raise ValueError("'// expect-compile' cannot be combined with '// expect:' or '// expect-errors:'")
    if not compiles and not expects:
        raise ValueError("no '// expect:' or '// expect-compile' line")
    return expects, errors, compiles


def strip_wrappers(cmd):
    while len(cmd) > 1 and os.path.basename(cmd[0]) in WRAPPERS:
        cmd = cmd[1:]
    return cmd


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--include", required=True, action="append", help="include directory (repeatable)")
    parser.add_argument("--compiler-id", default="", help="Meson's compiler id (gcc, clang, ...)")
    parser.add_argument("case")
    parser.add_argument("compiler", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    compiler = args.compiler[1:] if args.compiler[:1] == ["--"] else args.compiler
    if not compiler:
        print("harness error: no compiler command given after --")
        return 1

    try:
        expects, errors, compiles = parse_case(args.case)
    except (OSError, ValueError) as e:
        print(f"harness error: {args.case}: {e}")
        return 1

    cmd = strip_wrappers(list(compiler))
    cmd += ["-std=c++20", "-fsyntax-only", "-fdiagnostics-color=never"]
    if args.compiler_id in NO_CARET:
        cmd.append(NO_CARET[args.compiler_id])
    cmd += ["-I" + d for d in args.include]
    cmd.append(args.case)
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("GCC_COLORS", None)

    print("$ " + " ".join(cmd))
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"harness error: could not run the compiler: {e}")
        return 1
    elapsed = time.monotonic() - start
    output = proc.stdout.decode("utf-8", errors="replace")
    print(f"compiler exit status {proc.returncode}, {elapsed:.2f} s")

    if compiles:
        if proc.returncode != 0:
            print("FAIL: the control case must compile, but it did not:")
            print(output)
            return 1
        print("ok: compiles")
        return 0

    if proc.returncode == 0:
        print("FAIL: the case compiled, but it must not")
        print(output)
        return 1

    seen = normalize(output)
    missing = [e for e in expects if normalize(e) not in seen]
    error_count = len(ERROR_LINE.findall(output))
    failed = False
    for e in expects:
        print(("  missing: " if e in missing else "  found:   ") + e)
    if missing:
        failed = True
    if errors is not None:
        print(f"  errors:  {error_count} (expected {errors})")
        if error_count != errors:
            failed = True
    if failed:
        print("FAIL: the compiler output does not match the expectations. Output (not normalized):")
        print(output)
        return 1
    print("ok: fails to compile with the expected message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
