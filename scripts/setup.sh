#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the recipes need. Idempotent: does nothing
# when all are present. Used by the README commands and by .ci/run.
set -euo pipefail
PKGS=(cmake ninja-build g++ ccache pkg-config
      libtorch-dev libopenblas0-openmp
      libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
      libsndfile1-dev libfftw3-dev libsoxr-dev
      libsentencepiece-dev sentencepiece libicu-dev zlib1g-dev
      libgtest-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
      python3-torch
      espeak-ng sox flite)   # the synthetic speech sets (scripts/make_speech_data.sh) and their test
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the data sets; images that ship their own node/npm conflict with Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# LibTorch links the generic libblas.so.3: make sure it is OpenBLAS (OpenMP), never the reference BLAS.
if dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
  echo "[setup] error: libopenblas0-pthread is installed; it clashes with LibTorch's OpenMP. Remove it." >&2
  exit 1
fi
