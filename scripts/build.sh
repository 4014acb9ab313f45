#!/usr/bin/env bash
# Configures (once) and builds the project into ${BUILD_DIR:-build}. Extra arguments are build targets.
# Builds are serialized with a lock so that parallel invocations do not exhaust the 2-core machine, and run at
# ${BUILD_NICE:-10} niceness so that a timing run next to a build keeps its CPU share.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-$(nproc)}"
mkdir -p "$build"
exec 9>"/tmp/softprompt-build.lock"
flock 9
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
fi
if (($#)); then
  nice -n "${BUILD_NICE:-10}" cmake --build "$build" -j "$jobs" --target "$@"
else
  nice -n "${BUILD_NICE:-10}" cmake --build "$build" -j "$jobs"
fi
