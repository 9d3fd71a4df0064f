#!/usr/bin/env python3
"""Runs an example and compares its standard output with a file, exactly."""
import os
import shlex
import subprocess
import sys

# A cross build's tests run its programs through the exe wrapper of the cross
# file (qemu-user for cross/aarch64-linux-gnu.ini); Meson passes it to
# scripts in MESON_EXE_WRAPPER, shell-quoted. Empty in a native build.
wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
program, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path, encoding="utf-8") as f:
    expected = f.read()
run = subprocess.run([*wrapper, program], capture_output=True, text=True, check=False)
if run.returncode != 0:
    sys.exit(f"{program} exited with {run.returncode}:\n{run.stderr}")
if run.stdout != expected:
    sys.stdout.write("expected:\n" + expected + "got:\n" + run.stdout)
    sys.exit(1)
print(run.stdout, end="")
