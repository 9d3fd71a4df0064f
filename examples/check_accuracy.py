#!/usr/bin/env python3
"""Runs a training example and checks the final "test accuracy X%" line.

usage: check_accuracy.py <program> <minimum percent> [program arguments...]
"""
import os
import re
import shlex
import subprocess
import sys

# A cross build's tests run its programs through the exe wrapper of the cross
# file (qemu-user for cross/aarch64-linux-gnu.ini); Meson passes it to
# scripts in MESON_EXE_WRAPPER, shell-quoted. Empty in a native build.
wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
program, minimum, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
run = subprocess.run([*wrapper, program, *args], capture_output=True, text=True, check=False)
sys.stdout.write(run.stdout)
if run.returncode != 0:
    sys.exit(f"{program} exited with {run.returncode}:\n{run.stderr}")
found = re.findall(r"^test accuracy ([0-9.]+)%$", run.stdout, re.MULTILINE)
if not found:
    sys.exit("no 'test accuracy' line in the output")
if float(found[-1]) < minimum:
    sys.exit(f"test accuracy {found[-1]}% is below {minimum}%")
