#!/bin/bash
# Installs what tapeless needs to build and test on Debian 12, if missing,
# and any further packages named as arguments. Run as root (it uses
# apt-get); does nothing when everything is present.
set -euo pipefail

packages=(
  g++ clang-14 meson ninja-build cmake pkg-config python3
  libboost-dev libxsimd-dev doctest-dev libbenchmark-dev libeigen3-dev
  libclang-rt-14-dev  # the fuzzer runtime of clang++-14 (test/fuzz)
  graphviz            # renders examples/graph_digits_cnn's DOT (skipped without it)
  libopenmpi-dev openmpi-bin  # the mpi suite and train_digits_mpi (skipped without them)
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
