#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every test suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${CTEST_JOBS:-1}" "$@"
