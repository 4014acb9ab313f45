#pragma once
// sentencepiece (Kudo & Richardson 2018, "SentencePiece: A simple and language independent subword
// tokenizer") behind the Tokenizer interface: load a .model, encode, decode, and train new models, all in
// process. sentencepiece itself lives in the softprompt_spm module (modalities/text/spm_module), loaded at
// run time with dlmopen into a link-map namespace of its own, because its protobuf and LibTorch's clash when
// they share one (the process crashes before main). Never include <sentencepiece_processor.h> elsewhere.
//
// The module is looked for at, in order: $SOFTPROMPT_SPM_MODULE; libsoftprompt_spm.so next to the running
// executable; the build tree path compiled in. If none loads, the first use throws IoError naming them all.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modalities/text/tokenizer.h"

namespace softprompt::modalities::text {

// Where the sentencepiece module was loaded from (loads it on first call; throws IoError on failure).
std::string sentencepiece_module_path();

struct SentencePieceTrainOptions {
  std::string input;         // a UTF-8 text file, one sentence per line
  std::string model_prefix;  // writes <prefix>.model and <prefix>.vocab (atomically)
  int64_t vocab_size = 8000;
  std::string model_type = "unigram";  // unigram | bpe | char | word
  double character_coverage = 0.9995;
  std::vector<std::string> user_defined_symbols;  // always single pieces, e.g. "<mask>"
  // Determinism: sentencepiece's random generator is seeded with `seed`, the trainer runs `num_threads`
  // threads (1 by default, so the result does not depend on scheduling) and the input is neither sampled nor
  // shuffled unless `extra` asks for it. Same options + same input = byte-identical .model.
  uint32_t seed = 0;
  int num_threads = 1;
  bool verbose = false;  // sentencepiece's INFO log on stderr
  // Any other trainer flag (e.g. {"byte_fallback", "true"}, {"bos_id", "-1"}); wins over the fields above.
  std::map<std::string, std::string> extra;
};
// Trains a model. Throws InputError for bad options (naming the value) or a trainer error, IoError when the
// input cannot be read or the outputs cannot be written.
void train_sentencepiece(const SentencePieceTrainOptions& opt);

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws IoError (missing file, module not loadable) or InputError (not a sentencepiece model).
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;  // owns the module's processor
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::string kind() const override { return "sentencepiece"; }
  // add_special: the model's bos before and eos after (each only when the model defines it).
  Ids encode(std::string_view text, bool add_special = false) const override;
  // Control tokens (bos/eos/pad) never print; skip_special also drops unk (otherwise " ⁇ ").
  std::string decode(const Ids& ids, bool skip_special = false) const override;
  int64_t vocab_size() const override;
  std::string id_to_token(int64_t id) const override;
  std::optional<int64_t> token_to_id(std::string_view token) const override;
  SpecialTokens special_tokens() const override;

 private:
  void* processor_ = nullptr;  // owned by the module (softprompt_spm_free)
  std::string path_;
};

}  // namespace softprompt::modalities::text
