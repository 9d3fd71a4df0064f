#!/usr/bin/env python3
"""Runs a program that writes a Graphviz DOT file, checks the file, and
renders it to SVG with Graphviz's `dot` when it is installed.

usage: render_dot.py <program> <output.dot>
"""
import os
import shlex
import shutil
import subprocess
import sys

# A cross build's tests run its programs through the exe wrapper of the cross
# file (qemu-user for cross/aarch64-linux-gnu.ini); Meson passes it to
# scripts in MESON_EXE_WRAPPER, shell-quoted. Empty in a native build.
wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
program, path = sys.argv[1], sys.argv[2]
run = subprocess.run([*wrapper, program, path], capture_output=True, text=True, check=False)
sys.stdout.write(run.stdout)
if run.returncode != 0:
    sys.exit(f"{program} exited with {run.returncode}:\n{run.stderr}")
with open(path, encoding="utf-8") as f:
    text = f.read()
if not text.startswith("digraph tapeless {") or not text.rstrip().endswith("}") or " -> " not in text:
    sys.exit(f"{path} is not the DOT graph expected")
dot = shutil.which("dot")
if dot is None:
    print("Graphviz's dot not found: the DOT file was checked, not rendered")
    sys.exit(0)
svg = path[: -len(".dot")] + ".svg" if path.endswith(".dot") else path + ".svg"
render = subprocess.run([dot, "-Tsvg", path, "-o", svg], capture_output=True, text=True, check=False)
if render.returncode != 0:
    sys.exit(f"dot could not render {path}:\n{render.stderr}")
with open(svg, encoding="utf-8") as f:
    if "<svg" not in f.read():
        sys.exit(f"{svg} is not an SVG")
print(f"rendered {svg}")
