#!/usr/bin/env bash
# Generates the synthetic speech data sets (DATA.md) with espeak-ng, flite and sox, reproducibly to the byte:
#   kws      keyword spotting in the Speech Commands layout: <word>/<speaker>_nohash_<k>.wav (1 s, 16 kHz
#            mono 16-bit), the 10 keywords, 10 "unknown" words, _silence_/ (1 s of background noise),
#            _background_noise_/, validation_list.txt and testing_list.txt (the rest is train).
#   intents  spoken intents in the Fluent Speech Commands layout: wavs/speakers/<speaker>/<id>.wav and
#            data/{train,valid,test}_data.csv (,path,speakerId,transcription,action,object,location).
# Every random choice (voice, accent, speed, pitch, phrasing, noise type/level/offset, position in the second)
# comes from the seed through tools/speech_data/plan.awk; voices are split 70/15/15 so that validation and
# test voices never speak a training clip. The output does not depend on --jobs.
#
# usage: scripts/make_speech_data.sh [kws] [intents] [options]        (default: both)
#   --out DIR             parent folder of the sets (default <cache>/data, cache = $SOFTPROMPT_CACHE or
#                         ${XDG_CACHE_HOME:-~/.cache}/softprompt); the sets are DIR/synthetic_kws and
#                         DIR/synthetic_intents
#   --tiny                3 clips per class and per unknown word, 10 s noise (smoke tests); sets named *_tiny
#   --seed N              default 20240917
#   --clips-per-word N    clips per keyword and of silence (default 150)
#   --unknown-clips N     clips per unknown word (default clips-per-word / 10, at least 1)
#   --clips-per-intent N  default 20
#   --noise-seconds N     length of each background-noise file, >= 10 (default 30)
#   --jobs N              parallel workers (default: number of CPUs)
#   --force               regenerate even when a complete set with the same parameters exists
#   --check               generate the tiny sets twice (1 and 2 workers) in a temp folder, compare every byte
# A finished set holds .complete (its parameters); a later run with the same parameters reuses it. The folders
# of the sets are printed on stdout, one a line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
readonly kVersion=3
kinds=() out="" tiny=0 seed=20240917 cpw=150 unk="" cpi=20 noise_s=30 jobs="$(nproc)" force=0 check=0
while (($#)); do
  case "$1" in
    kws|intents) kinds+=("$1") ;;
    --out) out="$2"; shift ;;
    --tiny) tiny=1 ;;
    --seed) seed="$2"; shift ;;
    --clips-per-word) cpw="$2"; shift ;;
    --unknown-clips) unk="$2"; shift ;;
    --clips-per-intent) cpi="$2"; shift ;;
    --noise-seconds) noise_s="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --force) force=1 ;;
    --check) check=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "[speech-data] error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((${#kinds[@]})) || kinds=(kws intents)
if ((tiny)); then cpw=3 unk=3 cpi=3 noise_s=10; fi
[ -n "$unk" ] || unk=$(( cpw / 10 > 0 ? cpw / 10 : 1 ))
for v in seed cpw unk cpi noise_s jobs; do
  [[ "${!v}" =~ ^[0-9]+$ ]] ||
    { echo "[speech-data] error: $v must be a whole number, got '${!v}'" >&2; exit 2; }
done
((cpw >= 1 && cpi >= 1 && jobs >= 1 && noise_s >= 10)) || {
  echo "[speech-data] error: need clips >= 1, jobs >= 1, noise-seconds >= 10" >&2; exit 2; }

ensure_tools() {  # installs the synthesizers with apt-get when missing (like scripts/fetch_data.sh)
  command -v espeak-ng >/dev/null && command -v flite >/dev/null && command -v sox >/dev/null &&
    sox -h 2>/dev/null | grep -q 'AUDIO FILE FORMATS:.* wav' && return 0
  echo "[speech-data] apt-get install espeak-ng sox libsox-fmt-all flite" >&2
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
                 espeak-ng sox libsox-fmt-all flite)
  $sudo "${install[@]}" >/dev/null || { $sudo apt-get update -qq && $sudo "${install[@]}" >/dev/null; }
}

tool_versions() {  # the synthesizers' versions are part of a set's identity: another version, other bytes
  printf 'espeak-ng %s; sox %s; flite %s' "$(espeak-ng --version | awk '{print $4}')" \
    "$(sox --version | awk '{print $NF}')" "$(flite --version | awk '/version:/{print $2}')"
}

# The background noises: sox's generators with -R (fixed seed) are repeatable; peak at -1 dBFS.
readonly kNoises="white_noise pink_noise brown_noise running_tap machine_hum"
make_noises() {  # dir seconds
  local d="$1" s="$2" fmt=(-r 16000 -b 16 -c 1 -e signed-integer)
  mkdir -p "$d"
  sox -D -R -V1 -n "${fmt[@]}" "$d/white_noise.wav" synth "$s" whitenoise gain -n -1
  sox -D -R -V1 -n "${fmt[@]}" "$d/pink_noise.wav" synth "$s" pinknoise gain -n -1
  sox -D -R -V1 -n "${fmt[@]}" "$d/brown_noise.wav" synth "$s" brownnoise gain -n -1
  sox -D -R -V1 -n "${fmt[@]}" "$d/running_tap.wav" synth "$s" whitenoise highpass 1200 tremolo 5 40 \
    gain -n -1
  sox -D -R -V1 -n "${fmt[@]}" "$d/machine_hum.wav" synth "$s" sawtooth 55 lowpass 500 tremolo 0.7 30 \
    gain -n -1
}

# Renders one planned clip (the columns of plan.awk) into $work/<relpath>; uses $tmp (per worker), $noise_dir,
# $kind. A process start costs more than a clip's signal processing, so two sox runs do everything: the
# first normalizes the synthesized speech, trims the silence around it and resamples it to 16 kHz (its `stat`
# reports the length); the second places it (kws: inside exactly 16,000 samples, at `lead` per mille of the
# free room; intents: between lead and tail samples of silence) and mixes the noise in: -M makes speech and
# noise two channels, `delay` shifts the speech to the noise offset plus its place, `remix` sums them at their
# volumes and `trim` cuts the frame out of the noise.
render_clip() {
  local split="$1" rel="$2" engine="$3" voice="$4" accent="$5" rate="$6" pitch="$7" text="$8" noise="$9"
  local off="${10}" vol="${11}" gain="${12}" lead="${13}" tail="${14}"
  local fmt=(-r 16000 -b 16 -c 1 -e signed-integer) out="$work/$rel"
  if [ "$engine" = noise ]; then
    sox -D -V1 "$noise_dir/$noise.wav" "${fmt[@]}" "$out" trim "${off}s" 16000s vol "$vol"
    return
  fi
  if [ "$engine" = espeak ]; then
    espeak-ng -v "$accent+$voice" -s "$rate" -p "$pitch" -w "$tmp/raw.wav" "$text"
  else
    flite -voice "$voice" --setf duration_stretch="$rate" --setf int_f0_target_mean="$pitch" -t "$text" \
      -o "$tmp/raw.wav"
  fi
  sox -D -V1 "$tmp/raw.wav" "${fmt[@]}" "$tmp/s.wav" gain -n -3 \
    silence 1 0.01 -40d reverse silence 1 0.01 -40d reverse rate 16000 stat 2> "$tmp/stat.txt"
  samples_read "$tmp/stat.txt" "$rel" || return 1
  local n=$n_read
  if [ "$kind" = kws ] && ((n > 15200)); then  # slow speech longer than 0.95 s: speed it up, pitch kept
    local f=$(( n * 10000 / 15200 + 1 ))
    sox -D -V1 "$tmp/s.wav" "$tmp/t.wav" tempo -s "${f:0:-4}.${f: -4}" stat 2> "$tmp/stat.txt"
    mv "$tmp/t.wav" "$tmp/s.wav"; samples_read "$tmp/stat.txt" "$rel" || return 1; n=$n_read
  fi
  local l=$lead r=$tail
  if [ "$kind" = kws ]; then l=$(( (16000 - n) * lead / 1000 )); r=$(( 16000 - n - l )); fi
  if [ "$noise" = - ]; then
    sox -D -V1 "$tmp/s.wav" "${fmt[@]}" "$out" pad "${l}s" "${r}s" vol "$gain"
  else
    sox -D -V1 -M "$tmp/s.wav" "$noise_dir/$noise.wav" "${fmt[@]}" "$out" delay "$((off + l))s" 0s \
      remix -m "1v$gain,2v$vol" trim "${off}s" "$((l + n + r))s"
  fi
}

# stat-output clip -> n_read = the "Samples read" of sox's stat effect (>= 800, else an error).
samples_read() {
  local a b c
  n_read=0
  while read -r a b c; do if [[ "$a $b" == "Samples read:" ]]; then n_read=$c; fi; done < "$1"
  ((n_read >= 800)) || { echo "[speech-data] error: $2: the synthesized speech is empty" >&2; return 1; }
}

render_all() {  # plan -> wavs, with $jobs workers taking every jobs-th row
  local plan="$1" pids=() k
  for ((k = 0; k < jobs; k++)); do
    (
      tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
      awk -v j="$jobs" -v k="$k" '(NR - 1) % j == k' "$plan" |
        while IFS=$'\t' read -r -a c; do render_clip "${c[@]:0:14}"; done
    ) &
    pids+=($!)
  done
  local failed=0
  for k in "${pids[@]}"; do wait "$k" || failed=1; done
  return $failed
}

write_kws_files() {  # the split lists, from the plan
  awk -F'\t' '$1 == "validation" {print $2}' "$1" | LC_ALL=C sort > "$work/validation_list.txt"
  awk -F'\t' '$1 == "test" {print $2}' "$1" | LC_ALL=C sort > "$work/testing_list.txt"
}

# The three FSC CSVs, from the plan (the transcriptions hold no comma or quote: nothing to quote).
write_intent_files() {
  mkdir -p "$work/data"
  local s f
  for s in train:train validation:valid test:test; do
    f="$work/data/${s#*:}_data.csv"
    echo ",path,speakerId,transcription,action,object,location" > "$f"
    awk -F'\t' -v s="${s%%:*}" 'BEGIN{OFS=","} $1 == s {print n++, $2, $15, $8, $17, $18, $19}' "$1" >> "$f"
  done
}

# manifest.json + README.md: parameters, tool versions, voices per split, clips per split and label, sizes.
write_manifest() {  # plan params
  local plan="$1" params="$2" files bytes
  (cd "$work" && find . -type f ! -name '.*' ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort |
     xargs -d '\n' sha256sum > SHA256SUMS)
  files=$(grep -c '\.wav$' "$work/SHA256SUMS")
  bytes=$(du -sb --exclude=.plan.tsv "$work" | cut -f1)
  awk -F'\t' -v kind="$kind" -v params="$params" -v files="$files" -v bytes="$bytes" \
      -v sums="$(sha256sum < "$work/SHA256SUMS" | cut -c1-64)" '
    function jl(arr, s,   k, out, sep) { out = ""; sep = ""
      for (k = 1; k <= nv[s]; k++) { out = out sep "\"" arr[s, k] "\""; sep = ", " } return "[" out "]" }
    FNR == NR { v[$1, ++nv[$1]] = $2; next }
    { c = $16
      if (kind == "kws" && c !~ /^(yes|no|up|down|left|right|on|off|stop|go|_silence_)$/) c = "_unknown_"
      if (!((c) in lab)) { lab[c] = 1; labels[++nl] = c }
      count[$1, c]++; total[$1]++ }
    END {
      printf "{\n  \"generator\": \"scripts/make_speech_data.sh\",\n  \"parameters\": \"%s\",\n", params
      printf "  \"files\": %d,\n  \"bytes\": %d,\n  \"sha256_of_SHA256SUMS\": \"%s\",\n", files, bytes, sums
      printf "  \"voices\": {\"train\": %s,\n             \"validation\": %s,\n             \"test\": %s},\n",
             jl(v, "train"), jl(v, "validation"), jl(v, "test")
      printf "  \"clips\": {"
      split("train validation test", sp, " ")
      for (i = 1; i <= 3; i++) {
        printf "%s\n    \"%s\": {\"total\": %d", (i > 1 ? "," : ""), sp[i], total[sp[i]]
        for (l = 1; l <= nl; l++) printf ", \"%s\": %d", labels[l], count[sp[i], labels[l]]
        printf "}"
      }
      printf "\n  }\n}\n"
    }' "$work/voice_splits.tsv" "$plan" > "$work/manifest.json"
  cat > "$work/README.md" <<EOF
# Synthetic $kind data set

Generated by \`scripts/make_speech_data.sh\` of softprompt (speech synthesized with espeak-ng and flite, mixed
with synthetic background noise by sox). Reproducible byte for byte from its parameters:

    $params

Voices are split 70/15/15 (train/validation/test): validation and test voices never speak a training clip.
\`voice_splits.tsv\` names the voices of each split, \`manifest.json\` counts the clips per split and label,
\`.plan.tsv\` holds every clip's settings (voice, accent, speed, pitch, text, noise and level), \`SHA256SUMS\`
every file's hash.
EOF
}

# Generates one set into DIR unless a complete set with the same parameters is there already.
make_set() {  # kind dir
  kind="$1"; local dir="$2"
  local clips="$cpi" per_set="$cpi"; [ "$kind" = intents ] || { clips="$cpw"; per_set="$cpw unknown_clips=$unk"; }
  local params="version=$kVersion kind=$kind seed=$seed clips=$per_set noise_seconds=$noise_s"
  params+=" tools=[$(tool_versions)]"
  mkdir -p "$(dirname "$dir")"
  # Two runs for the same set: the second waits, then reuses the first one's.
  exec 8>"$(dirname "$dir")/.$(basename "$dir").lock"; flock 8
  if ((!force)) && [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$params" ]; then
    echo "[speech-data] $kind: reusing $dir" >&2; echo "$dir"; exec 8>&-; return 0
  fi
  local start=$SECONDS
  work="$dir.tmp.$$"
  rm -rf "$work"; mkdir -p "$work"
  trap 'rm -rf "$work"' EXIT
  noise_dir="$work/_background_noise_"; [ "$kind" = kws ] || noise_dir="$work/.noise"
  make_noises "$noise_dir" "$noise_s"
  local plan="$work/.plan.tsv" inputs=("$root/assets/speech/voices.tsv")
  [ "$kind" = kws ] || inputs+=("$root/assets/speech/intents.tsv")
  awk -v kind="$kind" -v seed="$seed" -v clips="$clips" \
      -v unknown_clips="$unk" -v noise_samples=$((noise_s * 16000)) -v noises="$kNoises" \
      -v voices_out="$work/voice_splits.tsv" \
      -f "$root/tools/speech_data/plan.awk" "${inputs[@]}" > "$plan"
  awk -F'\t' '{sub(/\/[^\/]*$/, "", $2); print $2}' "$plan" | sort -u | (cd "$work" && xargs -d '\n' mkdir -p)
  echo "[speech-data] $kind: rendering $(wc -l < "$plan") clips with $jobs workers into $dir" >&2
  render_all "$plan" || { echo "[speech-data] error: rendering failed" >&2; exit 1; }
  if [ "$kind" = kws ]; then write_kws_files "$plan"; else write_intent_files "$plan"; rm -rf "$noise_dir"; fi
  write_manifest "$plan" "$params"
  echo "$params" > "$work/.complete"
  rm -rf "$dir"; mv "$work" "$dir"; trap - EXIT; exec 8>&-
  echo "[speech-data] $kind: done in $((SECONDS - start)) s, $(du -sh "$dir" | cut -f1)" >&2
  echo "$dir"
}

ensure_tools
if ((check)); then  # byte-identity check: tiny sets twice, with 1 and 2 workers
  t="$(mktemp -d)"; trap 'rm -rf "$t"' EXIT
  bash "$0" "${kinds[@]}" --tiny --seed "$seed" --jobs 1 --out "$t/a" >/dev/null
  bash "$0" "${kinds[@]}" --tiny --seed "$seed" --jobs 2 --out "$t/b" >/dev/null
  if diff -r "$t/a" "$t/b" >/dev/null; then
    echo "[speech-data] check: identical ($(cat "$t"/a/*/SHA256SUMS | wc -l) files)" >&2
    for d in "$t"/a/*/; do echo "$(basename "$d") $(sha256sum < "$d/SHA256SUMS" | cut -c1-16)"; done
    exit 0
  fi
  echo "[speech-data] check: the two runs differ:" >&2; diff -rq "$t/a" "$t/b" >&2 || true; exit 1
fi
[ -n "$out" ] || out="${SOFTPROMPT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softprompt}/data"
suffix=""; ((tiny)) && suffix="_tiny"
for k in "${kinds[@]}"; do make_set "$k" "$out/synthetic_$k$suffix"; done
