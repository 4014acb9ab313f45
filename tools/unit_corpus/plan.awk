# Plans the unit-LM pretraining corpus (scripts/make_unit_lm_corpus.sh): which voice speaks which sentence,
# with which accent, speed and pitch. Same seeded Park-Miller generator and voice settings as
# tools/speech_data/plan.awk (so any awk gives the same plan), but only over the voices given as training
# voices: the corpus never uses a validation or test voice of the synthetic KWS / intent sets.
#
# Inputs: voices.tsv (id, engine, arg), then train_voices.txt (one voice id a line), then the sentences (one a
# line). Variables: seed. Output, tab-separated: id engine arg accent rate pitch speaker text.
BEGIN {
  FS = "\t"; OFS = "\t"
  n_accents = split("en-us en en-gb-scotland en-gb-x-gbclan en-gb-x-rp en-gb-x-gbcwmd en-029", accents, " ")
  state = (seed % 2147483646) + 1
  for (i = 0; i < 16; i++) rnd()
}
function rnd() { state = (state * 48271) % 2147483647; return state / 2147483647 }
function rint(n) { return int(rnd() * n) }
ARGIND == 1 || FILENAME ~ /voices\.tsv$/ {
  if (/^#/ || NF == 0) next
  engine[$1] = $2; arg[$1] = $3; next
}
FILENAME ~ /train_voices\.txt$/ {
  if (!($1 in engine)) { print "plan.awk: unknown voice " $1 > "/dev/stderr"; exit 1 }
  voices[++n_voices] = $1; next
}
NF > 0 {
  v = voices[rint(n_voices) + 1]
  if (engine[v] == "espeak") {
    acc = accents[rint(n_accents) + 1]
    rate = 120 + rint(101)
    pitch = 10 + rint(81)
  } else {
    acc = "-"; rate = sprintf("%.2f", 0.8 + rint(41) / 100); pitch = 80 + rint(121)
  }
  printf "u%05d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ++n, engine[v], arg[v], acc, rate, pitch, v, $0
}
