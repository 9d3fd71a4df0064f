#!/usr/bin/env python3
"""Builds the consumer in test/consumer (consumer.cpp and dot_product.cpp,
both including tapeless, with -Wall -Wextra -Wpedantic -Werror) the way a
user would get tapeless, then runs it.

usage:
  run.py <tapeless source root> <scratch dir> [compiler...]
      As a Meson subproject, from the README's wrap-file form: the wrap names
      an archive of the source tree that is already in
      subprojects/packagecache, so nothing is downloaded.

The compiler command (default: $CXX or c++) is the one of the tapeless build.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

# What the wrap-file's archive holds: what the subproject needs to configure.
SOURCE_ITEMS = ("meson.build", "meson_options.txt", "include", "cmake", "test", "examples", "bench")


def run(cmd, **kwargs):
    """Runs cmd, echoing it; exits with its status if it fails."""
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, check=False, **kwargs)
    if result.returncode != 0:
        sys.exit(result.returncode)


def archive(root, path, top):
    """The source tree as a release archive would hold it, under top/."""
    def keep(info):
        return None if "__pycache__" in info.name else info

    with tarfile.open(path, "w:gz") as tar:
        for item in SOURCE_ITEMS:
            if os.path.exists(os.path.join(root, item)):
                tar.add(os.path.join(root, item), arcname=f"{top}/{item}", filter=keep)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def as_subproject(root, scratch, compiler):
    project = os.path.join(scratch, "consumer")
    shutil.copytree(os.path.join(root, "test", "consumer"), project,
                    ignore=shutil.ignore_patterns("run.py", "CMakeLists.txt", "subprojects", "__pycache__"))
    subprojects = os.path.join(project, "subprojects")
    os.makedirs(os.path.join(subprojects, "packagecache"))
    top = "tapeless-snapshot"
    digest = archive(root, os.path.join(subprojects, "packagecache", top + ".tar.gz"), top)
    # The README's wrap-file form; the URL is never fetched (the archive is
    # in the cache), so a mistake in the wrap cannot pass by downloading.
    with open(os.path.join(subprojects, "tapeless.wrap"), "w", encoding="utf-8") as wrap:
        wrap.write(f"[wrap-file]\ndirectory = {top}\nsource_url = https://example.invalid/{top}.tar.gz\n"
                   f"source_filename = {top}.tar.gz\nsource_hash = {digest}\n\n"
                   "[provide]\ntapeless = tapeless_dep\n")

    env = dict(os.environ, CXX=" ".join(compiler))
    build = os.path.join(scratch, "build")
    # Fallback forced: an installed tapeless.pc must not stand in for the wrap.
    run(["meson", "setup", "--force-fallback-for=tapeless", build, project], env=env)
    run(["meson", "test", "-C", build, "--print-errorlogs"], env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root")
    parser.add_argument("scratch")
    parser.add_argument("compiler", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    compiler = args.compiler or [os.environ.get("CXX", "c++")]

    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch)
    as_subproject(args.root, args.scratch, compiler)


if __name__ == "__main__":
    main()
