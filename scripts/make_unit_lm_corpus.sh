#!/usr/bin/env bash
# Generates the speech corpus the starter unit LM is pretrained on (recipes/pretrain_unit_lm): sentences of the
# Brown corpus (and, with --in-domain-repeat, the phrasings of assets/speech/intents.tsv: unlabeled text)
# spoken by espeak-ng and flite with the TRAINING voices of the synthetic speech sets only (the voice split of
# scripts/make_speech_data.sh for --voice-seed), so no validation or test voice of the KWS / intent sets is
# ever heard in pretraining. Reproducible byte for byte (seeded plan, tools/unit_corpus/plan.awk; the
# synthesizers are deterministic; the output does not depend on --jobs). The files are the synthesizers' own
# (espeak-ng 22.05 kHz, flite 16 kHz, mono 16-bit WAV); the recipe resamples them to 16 kHz when it reads them.
#
# usage: scripts/make_unit_lm_corpus.sh [options]
#   --out DIR              the corpus folder (default <cache>/data/unit_lm_corpus, cache = $SOFTPROMPT_CACHE or
#                          ${XDG_CACHE_HOME:-~/.cache}/softprompt)
#   --brown DIR            the Brown corpus (default <cache>/data/brown, from scripts/fetch_data.sh brown)
#   --sentences N          Brown sentences (default 3000), 5-20 words each, evenly spaced over the corpus
#   --in-domain-repeat N   times each intent phrasing is added (default 2; 0 = Brown only)
#   --seed N               plan seed (default 1)
#   --voice-seed N         the seed of the speech sets whose training voices are used (default 20240917)
#   --jobs N               parallel workers (default: number of CPUs)
#   --force                regenerate even when a complete corpus with the same parameters exists
# Writes DIR/wavs/<id>.wav, DIR/sentences.tsv (id, speaker, text), DIR/SHA256SUMS, DIR/.complete (its
# parameters: a later run with the same parameters reuses it). Prints DIR on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
readonly kVersion=1
cache="${SOFTPROMPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softprompt}"
out="$cache/data/unit_lm_corpus" brown="$cache/data/brown" n_sent=3000 repeat=2 seed=1 voice_seed=20240917
jobs="$(nproc)" force=0
while (($#)); do
  case "$1" in
    --out) out="$2"; shift ;;
    --brown) brown="$2"; shift ;;
    --sentences) n_sent="$2"; shift ;;
    --in-domain-repeat) repeat="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --voice-seed) voice_seed="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "[unit-corpus] error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in n_sent repeat seed voice_seed jobs; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "[unit-corpus] error: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((n_sent >= 1 && jobs >= 1)) || { echo "[unit-corpus] error: need --sentences >= 1 and --jobs >= 1" >&2; exit 2; }
[ -f "$brown/ca01" ] || { echo "[unit-corpus] error: no Brown corpus in '$brown' (scripts/fetch_data.sh brown)" >&2; exit 2; }
command -v espeak-ng >/dev/null && command -v flite >/dev/null ||
  { echo "[unit-corpus] error: espeak-ng and flite are needed (scripts/make_speech_data.sh installs them)" >&2; exit 2; }

# The synthesizers' versions are part of the identity (another version, other bytes); flite --version exits 1.
tools="espeak-ng $(espeak-ng --version | awk '{print $4}'); flite $( (flite --version || true) | awk '/version:/{print $2}')"
params="version=$kVersion sentences=$n_sent in_domain_repeat=$repeat seed=$seed voice_seed=$voice_seed tools=[$tools]"
mkdir -p "$(dirname "$out")"
exec 8>"$(dirname "$out")/.$(basename "$out").lock"; flock 8
if ((!force)) && [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$params" ]; then
  echo "[unit-corpus] reusing $out" >&2; echo "$out"; exit 0
fi
start=$SECONDS
work="$out.tmp.$$"
rm -rf "$work"; mkdir -p "$work/wavs"
trap 'rm -rf "$work"' EXIT

# The training voices: the voice split of the speech sets, computed by their own planner.
awk -v kind=kws -v seed="$voice_seed" -v clips=1 -v unknown_clips=0 -v noise_samples=480000 \
    -v noises=white_noise -v voices_out="$work/.voice_splits.tsv" \
    -f "$root/tools/speech_data/plan.awk" "$root/assets/speech/voices.tsv" > /dev/null
awk -F'\t' '$1 == "train" {print $2}' "$work/.voice_splits.tsv" > "$work/.train_voices.txt"

# Sentences: Brown's tagged lines (one sentence each) without tags and quote tokens, 5-20 words of plain
# ASCII letters and punctuation, N of them evenly spaced over the corpus; then the intent phrasings.
LC_ALL=C find "$brown" -maxdepth 1 -name 'c[a-r][0-9][0-9]' | LC_ALL=C sort | xargs cat |
  LC_ALL=C awk '{
      s = ""; for (i = 1; i <= NF; i++) { w = $i; sub(/\/[^\/]*$/, "", w)
        if (w == "``" || w == "'"''"'" || w == "") continue; s = s (s == "" ? "" : " ") w }
      n = split(s, parts, " "); words = 0
      for (i = 1; i <= n; i++) if (parts[i] ~ /[A-Za-z]/) words++
      if (words >= 5 && words <= 20 && s ~ /^[A-Za-z]/ && s !~ /[^A-Za-z0-9 ,.;:?!'"'"'-]/) print s }' \
  > "$work/.candidates.txt"
total=$(wc -l < "$work/.candidates.txt")
((total >= n_sent)) || { echo "[unit-corpus] error: only $total usable sentences for --sentences $n_sent" >&2; exit 2; }
awk -v n="$n_sent" -v t="$total" 'BEGIN { k = 0 } { if (k < n && int(k * t / n) == NR - 1) { print; k++ } }' \
  "$work/.candidates.txt" > "$work/.text.txt"
for ((r = 0; r < repeat; r++)); do
  awk -F'\t' '!/^#/ && NF == 4 {print $4}' "$root/assets/speech/intents.tsv" >> "$work/.text.txt"
done
awk -v seed="$seed" -f "$root/tools/unit_corpus/plan.awk" "$root/assets/speech/voices.tsv" \
  "$work/.train_voices.txt" "$work/.text.txt" > "$work/.plan.tsv"
echo "[unit-corpus] rendering $(wc -l < "$work/.plan.tsv") utterances with $jobs workers into $out" >&2

render() {  # id engine arg accent rate pitch speaker text
  if [ "$2" = espeak ]; then
    espeak-ng -v "$4+$3" -s "$5" -p "$6" -w "$work/wavs/$1.wav" "$8"
  else
    flite -voice "$3" --setf duration_stretch="$5" --setf int_f0_target_mean="$6" -t "$8" -o "$work/wavs/$1.wav"
  fi
}
pids=()
for ((k = 0; k < jobs; k++)); do
  ( awk -v j="$jobs" -v k="$k" '(NR - 1) % j == k' "$work/.plan.tsv" |
      while IFS=$'\t' read -r -a c; do render "${c[@]:0:8}"; done ) &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
((!failed)) || { echo "[unit-corpus] error: rendering failed" >&2; exit 1; }
awk -F'\t' 'BEGIN {OFS = "\t"; print "id", "speaker", "text"} {print $1, $7, $8}' "$work/.plan.tsv" > "$work/sentences.tsv"
(cd "$work" && find . -type f ! -name '.*' ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
   xargs -d '\n' sha256sum > SHA256SUMS)
echo "$params" > "$work/.complete"
rm -rf "$out"; mv "$work" "$out"; trap - EXIT
echo "[unit-corpus] done in $((SECONDS - start)) s, $(du -sh "$out" | cut -f1)" >&2
echo "$out"
