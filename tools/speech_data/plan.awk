# Plans every clip of a synthetic speech set (scripts/make_speech_data.sh) from one seed. All randomness comes
# from a Park-Miller generator (multiplier 48271, modulus 2^31-1): its products stay below 2^53, so every awk
# (mawk, gawk, busybox) computes the same numbers in double precision and the plan is identical everywhere.
#
# Inputs: assets/speech/voices.tsv, then assets/speech/intents.tsv (kind=intents only).
# Variables: kind (kws|intents), seed, clips (per keyword and for silence / per intent), unknown_clips (per
# unknown word), noise_samples (length of each background-noise file), noises (their names, space-separated),
# voices_out (optional: a file that receives "split<TAB>speaker" for every voice).
# Output, one tab-separated row per clip (never an empty field: bash's `read` would merge the tabs):
#   1 split  2 relpath  3 engine (espeak|flite|noise)  4 voice  5 accent  6 rate  7 pitch  8 text
#   9 noise  10 noise_offset  11 noise_volume  12 speech_gain  13 lead  14 tail  15 speaker  16 label
#   17 action  18 object  19 location
# speech_gain scales speech normalized to a -3 dBFS peak down to a peak of -3 .. -12 dBFS.
# kws: `lead` is the per-mille position of the word inside its second; intents: lead/tail are the samples of
# silence before/after the phrase. espeak: rate in words per minute, pitch 0-99; flite: rate is the duration
# stretch, pitch the mean F0 in Hz.
BEGIN {
  FS = "\t"; OFS = "\t"
  n_accents = split("en-us en en-gb-scotland en-gb-x-gbclan en-gb-x-rp en-gb-x-gbcwmd en-029", accents, " ")
  n_keywords = split("yes no up down left right on off stop go", keywords, " ")
  n_unknown = split("bed bird cat dog happy house marvin sheila tree wow", unknown_words, " ")
  n_noise = split(noises, noise_names, " ")
  n_levels = split("0.005 0.01 0.02 0.05 0.1", noise_levels, " ")       # speech: 20% clean, else one of these
  n_silence_levels = split("0 0.003 0.01 0.03 0.1 0.3 1", silence_levels, " ")  # silence: none to full noise
  split("train validation test", split_names, " ")
  # 0 .. -9 dB as decimals, so that no libm can print them differently
  n_gains = split("1.0000 0.8913 0.7943 0.7079 0.6310 0.5623 0.5012 0.4467 0.3981 0.3548", speech_gains, " ")
  if (kind != "kws" && kind != "intents") fail("kind must be kws or intents, not '" kind "'")
  if (clips < 1 || unknown_clips < 0 || n_noise < 1 || noise_samples < 10 * 16000) fail("bad parameters")
}
function fail(msg) { print "plan.awk: " msg > "/dev/stderr"; failed = 1; exit 1 }
function rnd() { state = (state * 48271) % 2147483647; return state / 2147483647 }  # in (0, 1)
function rint(n) { return int(rnd() * n) }                                           # 0 .. n-1
function seed_stream(s,   i) { state = (s % 2147483646) + 1; for (i = 0; i < 16; i++) rnd() }

/^#/ || NF == 0 { next }
FILENAME ~ /voices\.tsv$/ {
  if (NF != 3) fail(FILENAME ":" FNR ": expected 3 fields")
  n_voices++; voice_id[n_voices] = $1; voice_engine[n_voices] = $2; voice_arg[n_voices] = $3; next
}
FILENAME ~ /intents\.tsv$/ {
  if (NF != 4) fail(FILENAME ":" FNR ": expected 4 fields")
  key = $1 "|" $2 "|" $3
  if (!(key in intent_index)) {
    intent_index[key] = ++n_intents
    intent_action[n_intents] = $1; intent_object[n_intents] = $2; intent_location[n_intents] = $3
  }
  i = intent_index[key]; phrasing[i, ++n_phrasings[i]] = $4; next
}

# Voices are split per engine, 70/15/15 by a seeded shuffle that depends on the seed only, so both kinds share
# it: a test voice never speaks a training clip of either set.
function split_voices(   e, engines, m, idx, i, j, t, n_train, n_val, s) {
  seed_stream(seed)
  split("espeak flite", engines, " ")
  for (e = 1; e <= 2; e++) {
    m = 0
    for (i = 1; i <= n_voices; i++) if (voice_engine[i] == engines[e]) idx[++m] = i
    for (i = m; i > 1; i--) { j = rint(i) + 1; t = idx[i]; idx[i] = idx[j]; idx[j] = t }
    n_train = int(m * 0.7 + 0.5); n_val = int(m * 0.15 + 0.5)
    for (i = 1; i <= m; i++) {
      s = i <= n_train ? 1 : i <= n_train + n_val ? 2 : 3
      pool[s, ++pool_size[s]] = idx[i]
      if (voices_out != "") print split_names[s], voice_id[idx[i]] > voices_out
    }
  }
  for (s = 1; s <= 3; s++) if (!pool_size[s]) fail("no voice for the " split_names[s] " split")
}

# Clip j (1-based) of a class with n clips: the first ~70% train, then ~15% validation, the rest test, and at
# least one clip each in validation and test once n >= 3 (so tiny sets still have every split).
function split_of(j, n,   n_val, n_test) {
  n_val = int(n * 0.15 + 0.5); n_test = n_val
  if (n >= 3 && n_val < 1) n_val = n_test = 1
  return j <= n - n_val - n_test ? 1 : j <= n - n_test ? 2 : 3
}

# One spoken clip by voice v (already drawn from split s's pool).
# Draws happen one per statement: POSIX leaves the evaluation order of arguments open, and the plan must not
# depend on the awk.
function emit_speech(s, v, rel, text, label, action, object, location, lead, tail, min_speed, max_speed,
                     acc, rate, pitch, noise, off, vol, gain) {
  if (voice_engine[v] == "espeak") {
    acc = accents[rint(n_accents) + 1]
    rate = min_speed + rint(max_speed - min_speed + 1)
    pitch = 10 + rint(81)
  } else {
    acc = "-"; rate = sprintf("%.2f", 0.8 + rint(61) / 100); pitch = 80 + rint(121)
  }
  noise = "-"; off = 0; vol = 0
  if (rint(5) > 0) {
    noise = noise_names[rint(n_noise) + 1]
    off = rint(noise_samples - 8 * 16000)
    vol = noise_levels[rint(n_levels) + 1]
  }
  gain = speech_gains[rint(n_gains) + 1]
  print split_names[s], rel, voice_engine[v], voice_arg[v], acc, rate, pitch, text, noise, off, vol, gain, \
        lead, tail, voice_id[v], label, action, object, location
}

function plan_kws(   w, word, n, j, s, v, k, lead, noise, off, level) {
  for (w = 1; w <= n_keywords + n_unknown; w++) {
    word = w <= n_keywords ? keywords[w] : unknown_words[w - n_keywords]
    n = w <= n_keywords ? clips : unknown_clips
    for (j = 1; j <= n; j++) {
      s = split_of(j, n); v = pool[s, rint(pool_size[s]) + 1]
      # "<speaker>_nohash_<k>.wav" as in Speech Commands: k counts this speaker's takes of the word.
      k = taken[word, voice_id[v]]++
      lead = rint(1001)
      emit_speech(s, v, word "/" voice_id[v] "_nohash_" k ".wav", word, word, "-", "-", "-", lead, 0, 90, 220)
    }
  }
  # Silence: a second of background noise at a level from 0 (digital silence) up.
  for (j = 1; j <= clips; j++) {
    s = split_of(j, clips)
    noise = noise_names[rint(n_noise) + 1]
    k = taken["_silence_", noise]++
    off = rint(noise_samples - 16000)
    level = silence_levels[rint(n_silence_levels) + 1]
    print split_names[s], "_silence_/" noise "_nohash_" k ".wav", "noise", "-", "-", 0, 0, "-", noise, off, \
          level, 0, 0, 0, noise, "_silence_", "-", "-", "-"
  }
}

function plan_intents(   i, j, s, v, text, id, lead, tail) {
  if (!n_intents) fail("no intents read")
  for (i = 1; i <= n_intents; i++) {
    for (j = 1; j <= clips; j++) {
      s = split_of(j, clips); v = pool[s, rint(pool_size[s]) + 1]
      text = phrasing[i, rint(n_phrasings[i]) + 1]
      text = toupper(substr(text, 1, 1)) substr(text, 2)  # FSC transcriptions start with a capital
      id = sprintf("%s/%s/%02d%04d", "wavs/speakers", voice_id[v], i, j)
      lead = 800 + rint(4001)
      tail = 800 + rint(4001)
      emit_speech(s, v, id ".wav", text, intent_action[i] "|" intent_object[i] "|" intent_location[i], \
                  intent_action[i], intent_object[i], intent_location[i], lead, tail, 120, 220)
    }
  }
}

END {
  if (failed) exit 1
  if (!n_voices) fail("no voices read")
  split_voices()
  seed_stream(seed + (kind == "kws" ? 7919 : 15887))
  if (kind == "kws") plan_kws(); else plan_intents()
}
