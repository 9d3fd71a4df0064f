#!/usr/bin/env python3
"""Builds the consumer in test/consumer (consumer.cpp and dot_product.cpp,
both including tapeless, with -Wall -Wextra -Wpedantic -Werror) the way a
user would get tapeless, then runs it.

usage:
  run.py <tapeless source root> <scratch dir> [compiler...]
      As a Meson subproject, from the README's wrap-file form: the wrap names
      an archive of the source tree that is already in
      subprojects/packagecache, so nothing is downloaded.
  run.py --installed=cmake|pkg-config --build-dir DIR --prefix PREFIX
         --version VERSION <tapeless source root> <scratch dir> [compiler...]
      `meson install --destdir` of the build directory into the scratch
      directory, then the consumer built with CMake (find_package(tapeless
      CONFIG REQUIRED), developer warnings as errors, so that a warning
      from the CMake package fails) or with the compiler alone and
      `pkg-config --cflags --libs tapeless`. Exits 77 (skipped) if cmake or
      pkg-config is missing.

The compiler command (default: $CXX or c++) is the one of the tapeless build.
"""
import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

SKIPPED = 77  # Meson's exit code for a skipped test
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"]
SOURCES = ["consumer.cpp", "dot_product.cpp"]
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


def with_cmake(source, build, prefix, version, compiler, destdir):
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    run(["cmake", "-S", source, "-B", build, *generator, "-Werror=dev", f"-DCMAKE_PREFIX_PATH={prefix}",
         f"-DTAPELESS_VERSION={version}"], env=dict(os.environ, CXX=" ".join(compiler)))
    with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as cache:
        found = [line.strip() for line in cache if line.startswith("tapeless_DIR:")]
    if not found or not found[0].split("=", 1)[1].startswith(destdir):
        sys.exit(f"CMake used a tapeless outside the scratch install: {found}")
    run(["cmake", "--build", build, "--verbose"])


def with_pkg_config(source, build, prefix, compiler, destdir):
    pc_dirs = [d for d, _, files in os.walk(destdir) if "tapeless.pc" in files]
    if len(pc_dirs) != 1:
        sys.exit(f"expected one installed tapeless.pc, found it in {pc_dirs}")
    # The system's directories stay on the path: tapeless.pc requires xsimd.
    env = dict(os.environ, PKG_CONFIG_PATH=os.pathsep.join([pc_dirs[0], os.environ.get("PKG_CONFIG_PATH", "")]))
    # The .pc names the configured prefix; the tree is under DESTDIR.
    query = ["pkg-config", f"--define-variable=prefix={prefix}", "--cflags", "--libs", "tapeless"]
    print("+", " ".join(query), flush=True)
    result = subprocess.run(query, env=env, check=False, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(result.returncode)
    flags = result.stdout.split()
    objects = [os.path.join(build, name + ".o") for name in SOURCES]
    compiles = [[*compiler, *flags, *WARNINGS, "-c", os.path.join(source, name), "-o", obj]
                for name, obj in zip(SOURCES, objects)]
    # Both translation units at once, as a build tool would.
    with concurrent.futures.ThreadPoolExecutor(len(compiles)) as pool:
        list(pool.map(run, compiles))
    run([*compiler, *objects, *flags, "-o", os.path.join(build, "consumer")])


def installed(args, compiler):
    if shutil.which(args.installed) is None:
        print(f"SKIPPED: {args.installed} is not installed, so the installed tree was not tried "
              f"with it (Debian: apt-get install {args.installed})", flush=True)
        sys.exit(SKIPPED)

    destdir = os.path.join(args.scratch, "destdir")
    run(["meson", "install", "-C", args.build_dir, "--no-rebuild", "--quiet", "--destdir", destdir])
    # DESTDIR puts the tree under destdir/prefix: for the CMake package, a
    # moved tree, which must find itself from its own location.
    prefix = os.path.join(destdir, os.path.relpath(args.prefix, os.sep))
    source = os.path.join(args.root, "test", "consumer")
    build = os.path.join(args.scratch, "build")
    os.makedirs(build)
    if args.installed == "cmake":
        with_cmake(source, build, prefix, args.version, compiler, destdir)
    else:
        with_pkg_config(source, build, prefix, compiler, destdir)
    run([os.path.join(build, "consumer")])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installed", choices=["cmake", "pkg-config"])
    parser.add_argument("--build-dir")
    parser.add_argument("--prefix")
    parser.add_argument("--version")
    parser.add_argument("root")
    parser.add_argument("scratch")
    parser.add_argument("compiler", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    compiler = args.compiler or [os.environ.get("CXX", "c++")]

    shutil.rmtree(args.scratch, ignore_errors=True)
    os.makedirs(args.scratch)
    if args.installed:
        installed(args, compiler)
    else:
        as_subproject(args.root, args.scratch, compiler)


if __name__ == "__main__":
    main()
