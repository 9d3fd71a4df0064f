#!/usr/bin/env python3
"""Checks that tapeless/tapeless.hpp reaches every header of the library.

usage: check_umbrella.py INCLUDE_DIR COMPILER [ARGS...]

The compiler lists the headers tapeless.hpp includes, directly or not
(-M); every .hpp under INCLUDE_DIR/tapeless must be among them, except
those listed in OUTSIDE (headers that need more than the library's own
dependencies).
"""
import pathlib
import subprocess
import sys

OUTSIDE = {"tapeless/dist/mpi.hpp"}  # needs MPI

include = pathlib.Path(sys.argv[1]).resolve()
compiler = sys.argv[2:]
run = subprocess.run(
    [*compiler, "-std=c++20", f"-I{include}", "-M", "-x", "c++", "-"],
    input="#include <tapeless/tapeless.hpp>\n",
    capture_output=True,
    text=True,
    check=False,
)
if run.returncode != 0:
    sys.exit(f"the compiler failed on tapeless.hpp:\n{run.stderr}")
reached = set()
for word in run.stdout.replace("\\\n", " ").split():
    path = pathlib.Path(word)
    if path.suffix == ".hpp" and path.resolve().is_relative_to(include):
        reached.add(path.resolve().relative_to(include).as_posix())
every = {p.relative_to(include).as_posix() for p in (include / "tapeless").rglob("*.hpp")}
missing = sorted(every - reached - OUTSIDE - {"tapeless/tapeless.hpp"})
if missing:
    sys.exit("tapeless/tapeless.hpp does not include (directly or not): " + ", ".join(missing))
print(f"tapeless.hpp reaches all {len(every) - len(OUTSIDE)} headers but {', '.join(sorted(OUTSIDE))}")
