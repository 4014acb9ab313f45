#!/usr/bin/env bash
# Runs bench_speech (C++) and bench/baseline_speech.py (plain PyTorch; torchaudio is not installed here, so its
# MelSpectrogram and kaldi.mfcc are written out in torch) side by side, one process per case and implementation,
# and prints medians, the speed-up (baseline / C++) and feature throughput in seconds of audio per second.
# Usage: bench/run_speech.sh [repeats=20]   (2 threads each)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repeats="${1:-20}"
bin="${BUILD_DIR:-$root/build}/bench/bench_speech"
[ -x "$bin" ] || bash "$root/scripts/build.sh" bench_speech >/dev/null
out="$(mktemp)"
for c in kws_step logmel mfcc; do
  "$bin" --threads 2 case=$c repeats=$repeats | tail -n 1 >> "$out"
  /usr/bin/python3 "$root/bench/baseline_speech.py" --case $c --threads 2 --repeats $repeats | tail -n 1 >> "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["impl"], r["case"]): r for r in rows}
print(f"{'case':9} {'C++ s':>9} {'PyTorch s':>10} {'speed-up':>9} {'C++ audio s/s':>14} {'PyTorch audio s/s':>18} {'C++ MB':>7} {'PyTorch MB':>11}")
for c in ["kws_step", "logmel", "mfcc"]:
    a, b = by[("softprompt-cpp", c)], by[("pytorch", c)]
    tp = lambda r: f"{r['audio_s_per_s']:.0f}" if "audio_s_per_s" in r else "-"
    print(f"{c:9} {a['median_s']:9.4f} {b['median_s']:10.4f} {b['median_s']/a['median_s']:8.2f}x {tp(a):>14} {tp(b):>18} "
          f"{a['peak_rss_mb']:7.0f} {b['peak_rss_mb']:11.0f}")
for r in rows:
    print(json.dumps(r))
PY
rm -f "$out"
