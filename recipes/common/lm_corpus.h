#pragma once
// Plain-text corpora for pretraining the starter language model (DATA.md): the Brown corpus (tagged files,
// de-tagged and de-tokenized here) and the SpamAssassin ham e-mails (bodies only, headers and quoted HTML dropped).
#include <string>
#include <vector>

namespace softprompt::recipes {

// One paragraph per entry, from every Brown file (c[a-r]NN) in `dir`. Throws IoError when `dir` has none.
std::vector<std::string> read_brown_corpus(const std::string& dir);

// "The/at jury/nn said/vbd ``/`` no/at ''/'' ./." -> "The jury said \"no\"."
std::string detag_brown(const std::string& tagged);

// Bodies of the ham e-mails under `dir` (easy-ham-*, hard-ham-*; spam is left out), at most `max_docs`, one entry
// per paragraph, keeping lines that look like prose (letters, no markup, no quoted replies).
std::vector<std::string> read_email_bodies(const std::string& dir, size_t max_docs);

}  // namespace softprompt::recipes
