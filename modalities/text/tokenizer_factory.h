#pragma once
// load_tokenizer(path): one entry point for every tokenizer file the project meets (recipes, the CLI).
#include <memory>
#include <string>

#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {

enum class TokenizerKind { kGpt2, kClip, kSentencePiece };

// Decides the kind of `path` without loading it:
//   a directory with vocab.json + merges.txt or encoder.json + vocab.bpe     -> GPT-2
//   a gzip file (e.g. bpe_simple_vocab_16e6.txt.gz), or a directory with one  -> CLIP
//   a *.model file (sentencepiece protobuf), or a directory with tokenizer.model / spiece.model
//                                                                              -> sentencepiece
//   the names "gpt2" and "clip" (when no such file exists): the vocabularies shipped in assets/tokenizers/
//   ($SOFTPROMPT_ASSETS overrides the assets directory).
// Throws IoError for a path that does not exist, InputError for one that is none of the above.
TokenizerKind detect_tokenizer_kind(const std::string& path);
// The path detect_tokenizer_kind/load_tokenizer actually read (resolves directories and the asset names).
std::string resolve_tokenizer_path(const std::string& path);
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);

}  // namespace softprompt::modalities::text
