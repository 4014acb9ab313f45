#!/usr/bin/env bash
# Runs bench_coop (C++: CoOp's way, our uncached path, our cached path) and bench/baseline_coop.py (plain
# PyTorch, CoOp's way) on ViT-B/32 with random weights, 10 classes, batch 32, and prints the per-epoch ratios.
# Usage: bench/run_coop.sh [epochs=3] [steps_per_epoch=2]   (2 threads each; a few minutes on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
epochs="${1:-3}"; steps="${2:-2}"
bin="${BUILD_DIR:-$root/build}/bench/bench_coop"
[ -x "$bin" ] || bash "$root/scripts/build.sh" bench_coop >/dev/null
cpp="$("$bin" epochs=$epochs steps=$steps threads=2 | tee /dev/stderr | tail -n 1)"
py="$(/usr/bin/python3 "$root/bench/baseline_coop.py" --epochs $epochs --steps $steps --threads 2 | tee /dev/stderr | tail -n 1)"
/usr/bin/python3 - "$cpp" "$py" <<'PY'
import json, sys
c, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
m = c["median_epoch_s"]
print(f"median epoch (after the first): PyTorch CoOp way {p['median_epoch_s']:.3f} s, C++ CoOp way {m['coop_way']:.3f} s, "
      f"C++ uncached {m['uncached']:.3f} s, C++ cached {m['cached']:.3f} s")
print(f"cached vs PyTorch CoOp way: {p['median_epoch_s'] / m['cached']:.1f}x; vs C++ CoOp way: "
      f"{m['coop_way'] / m['cached']:.1f}x; vs C++ uncached: {m['uncached'] / m['cached']:.1f}x; "
      f"logits identical (cached vs uncached): {c['logits_identical']}")
PY
