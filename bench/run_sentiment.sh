#!/usr/bin/env bash
# Runs bench_sentiment (C++) and bench/baseline_gpt2_peft.py (plain PyTorch, PEFT's way) side by side, one
# process per case and implementation, and prints medians and the ratio baseline/C++ (speed-up) and C++/baseline
# memory. Usage: bench/run_sentiment.sh [repeats=10] [layers=12]   (2 threads each)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repeats="${1:-10}"; layers="${2:-12}"
bin="${BUILD_DIR:-$root/build}/bench/bench_sentiment"
[ -x "$bin" ] || bash "$root/scripts/build.sh" bench_sentiment >/dev/null
out="$(mktemp)"
for c in train_step classify_step inference mixed_inference; do
  "$bin" --threads 2 case=$c repeats=$repeats layers=$layers | tail -n 1 >> "$out"
  /usr/bin/python3 "$root/bench/baseline_gpt2_peft.py" --case $c --threads 2 --repeats $repeats --layers $layers | tail -n 1 >> "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["impl"], r["case"]): r for r in rows}
print(f"{'case':16} {'C++ s/step':>11} {'PyTorch s/step':>15} {'speed-up':>9} {'C++ MB':>8} {'PyTorch MB':>11} {'mem ratio':>10}")
for c in ["train_step", "classify_step", "inference", "mixed_inference"]:
    a, b = by[("softprompt-cpp", c)], by[("pytorch-peft-style", c)]
    print(f"{c:16} {a['median_s']:11.3f} {b['median_s']:15.3f} {b['median_s']/a['median_s']:8.2f}x "
          f"{a['peak_rss_mb']:8.0f} {b['peak_rss_mb']:11.0f} {a['peak_rss_mb']/b['peak_rss_mb']:10.2f}")
m, s = by[("softprompt-cpp", "mixed_inference")], by[("softprompt-cpp", "inference")]
print(f"mixed-prompt batch throughput vs single-prompt batch (C++): {s['median_s']/m['median_s']:.2f}x")
for r in rows:
    print(json.dumps(r))
PY
rm -f "$out"
