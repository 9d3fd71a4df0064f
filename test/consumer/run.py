#!/usr/bin/env python3
"""Builds test/consumer against a fresh copy of tapeless placed in its
subprojects/ directory, then runs its test.

usage: run.py <tapeless source root> <scratch dir> [compiler...]
The compiler command (default: $CXX or c++) is used for the consumer build.
"""
import os
import shutil
import subprocess
import sys

root, scratch = sys.argv[1], sys.argv[2]
compiler = sys.argv[3:] or [os.environ.get("CXX", "c++")]

shutil.rmtree(scratch, ignore_errors=True)
project = os.path.join(scratch, "consumer")
shutil.copytree(os.path.join(root, "test", "consumer"), project,
                ignore=shutil.ignore_patterns("run.py", "subprojects"))
sub = os.path.join(project, "subprojects", "tapeless")
os.makedirs(sub)
for item in ("meson.build", "meson_options.txt"):
    shutil.copy(os.path.join(root, item), sub)
for item in ("include", "test", "examples", "bench"):
    if os.path.isdir(os.path.join(root, item)):
        shutil.copytree(os.path.join(root, item), os.path.join(sub, item))

env = dict(os.environ, CXX=" ".join(compiler))
build = os.path.join(scratch, "build")
for cmd in (["meson", "setup", build, project], ["meson", "test", "-C", build, "--print-errorlogs"]):
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)
