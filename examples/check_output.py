#!/usr/bin/env python3
"""Runs an example and compares its standard output with a file, exactly."""
import subprocess
import sys

program, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path, encoding="utf-8") as f:
    expected = f.read()
run = subprocess.run([program], capture_output=True, text=True, check=False)
if run.returncode != 0:
    sys.exit(f"{program} exited with {run.returncode}:\n{run.stderr}")
if run.stdout != expected:
    sys.stdout.write("expected:\n" + expected + "got:\n" + run.stdout)
    sys.exit(1)
print(run.stdout, end="")
