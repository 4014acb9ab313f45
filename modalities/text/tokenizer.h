#pragma once
// The tokenizer interface shared by GPT-2 BPE, CLIP BPE and sentencepiece, plus truncation and padding of
// batches into the [B,T] int64 ids + mask that backbones take (mask 1 = real token, 0 = padding).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace softprompt::modalities::text {

using Ids = std::vector<int64_t>;

// Special token ids a model defines (nullopt where it has none).
struct SpecialTokens {
  std::optional<int64_t> bos;
  std::optional<int64_t> eos;
  std::optional<int64_t> pad;
  std::optional<int64_t> unk;
};

// Text <-> ids. Implementations are immutable after construction and safe to call from several threads.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // "gpt2", "clip" or "sentencepiece".
  virtual std::string kind() const = 0;
  // UTF-8 text -> ids; throws InputError naming the byte offset for invalid UTF-8. What `add_special` adds is
  // the model's convention: CLIP SOT ... EOT; sentencepiece the model's bos/eos; GPT-2 adds nothing but
  // recognises "<|endoftext|>" in the text as the special id 50256 (Hugging Face) instead of as plain text
  // (the original OpenAI encoder).
  virtual Ids encode(std::string_view text, bool add_special = false) const = 0;
  // ids -> UTF-8 text (partial byte sequences become U+FFFD). `skip_special` drops special/control ids.
  virtual std::string decode(const Ids& ids, bool skip_special = false) const = 0;
  virtual int64_t vocab_size() const = 0;
  // The token string of `id` in the model's own vocabulary notation; throws InputError when out of range.
  virtual std::string id_to_token(int64_t id) const = 0;
  virtual std::optional<int64_t> token_to_id(std::string_view token) const = 0;
  virtual SpecialTokens special_tokens() const = 0;

  // encode() of every text; the row lengths differ (see pad_batch).
  std::vector<Ids> encode_all(const std::vector<std::string>& texts, bool add_special = false) const;
};

enum class Side { kRight, kLeft };

struct TruncateOptions {
  int64_t max_length = 0;    // <= 0: no truncation
  Side side = Side::kRight;  // which end loses tokens
  // When set and the row was cut, the last kept token (right truncation) or the first kept token (left
  // truncation) is replaced by this id, e.g. CLIP keeps EOT at position 76.
  std::optional<int64_t> keep_end_token;
};
// Cuts `ids` to at most max_length tokens.
Ids truncate(Ids ids, const TruncateOptions& opt);

struct PadOptions {
  int64_t pad_id = 0;
  Side side = Side::kRight;     // left padding is what causal generation wants
  int64_t pad_to_length = 0;    // > 0: pad every row to exactly this length (rows longer are an InputError)
  int64_t pad_to_multiple = 1;  // round the padded length up to a multiple (e.g. 8)
};
struct Batch {
  at::Tensor input_ids;       // [B,T] int64
  at::Tensor attention_mask;  // [B,T] int64, 1 = token, 0 = padding
  Ids lengths;                // real tokens per row
};
// Pads rows to one length (the longest, or pad_to_length) on CPU; the caller moves them to its device.
Batch pad_batch(const std::vector<Ids>& rows, const PadOptions& opt);

}  // namespace softprompt::modalities::text
