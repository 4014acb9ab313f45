#!/usr/bin/env bash
# The main job on built-in defaults: installs what is missing, builds, fetches the data, pretrains the starter
# text LM (cached under ~/.cache/softprompt, so later runs skip it), tunes a sentiment prompt on it and prints
# zero-shot vs tuned accuracy, the artifact path and its size. Extra arguments are config overrides
# (key=value) for the sentiment recipe, e.g. `bash scripts/main.sh train.max_steps=200`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" softprompt pretrain_lm sentiment
data="$(bash "$root/scripts/fetch_data.sh" sentiment brown spam | tail -n 1)"
bin="${BUILD_DIR:-$root/build}/recipes"
"$bin/pretrain_lm" --config "$root/recipes/configs/pretrain_lm/starter_text_lm.yaml" data.dir="$data"
"$bin/sentiment" --config "$root/recipes/configs/sentiment/starter_prompt_tuning.yaml" data.dir="$data/sentiment" "$@"
