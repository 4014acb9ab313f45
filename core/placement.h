#pragma once
// Prompt placement, implemented once (DESIGN.md: "Placement ... is implemented once, in core/"):
//  * token level: place() turns a Template and rows of field values into ids, masks and a soft-index map;
//  * embedding level: insert_prompts() (prefix at an offset / suffix after the last real token),
//    scatter_prompts() (fill the positions a template reserved) and replace_prompts() (deep prompts);
//  * position ids that follow the mask.
// Backbones and methods call these; none of them concatenates prompts itself.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/slots.h"
#include "core/template.h"

namespace softprompt::core {

// Position ids that follow the attention mask: cumsum(mask) - 1 over the real tokens, and 1 at masked
// positions. This is Hugging Face's GPT-2 `prepare_inputs_for_generation` convention (fixture gpt2_left_pad):
// a left-padded row then reproduces the unpadded sequence exactly; a right-padded row keeps 0..n-1 on its real
// tokens; masked prompt padding in the middle of a row (per-sample prompts of different lengths) is skipped.
// mask [B,T] (any integer/bool dtype) -> [B,T] int64 on the mask's device.
at::Tensor position_ids_from_mask(const at::Tensor& mask);

// ---------------------------------------------------------------------------------------------------------
// Token level.

enum class PaddingSide { kRight, kLeft };

using TemplateRow = std::map<std::string, std::string>;          // field name -> text
using Tokenize = std::function<std::vector<int64_t>(const std::string&)>;

struct PlaceOptions {
  PaddingSide padding_side = PaddingSide::kRight;
  int64_t max_length = 0;           // total length limit (bos, soft, literals, eos included); 0 = none
  bool pad_to_max_length = false;   // every batch has T = max_length (CLIP's fixed 77)
  std::string truncate_field;       // field cut (from its end) when a row is too long; "" = the only field
  int64_t pad_id = 0;               // at padding and at soft positions (the soft vectors replace them)
  int64_t mask_id = -1;             // id at {mask} for bidirectional models; -1 = pad_id
  std::vector<int64_t> bos_ids;     // prepended to every row
  std::vector<int64_t> eos_ids;     // appended, except in a causal row that ends before {mask}
  // Causal LM: the row ends right before {mask} and read_position is the token before it (its next-token
  // logits score the label words). Bidirectional: {mask} is a position and read_position points at it.
  bool causal = true;
  // Whitespace that ends a literal right before a placeholder moves into it: prepended to a {field}'s text,
  // dropped before {soft} and {mask}. GPT-2 BPE marks a word start with a leading space, so
  // "{soft:5} {text} It was {mask}." tokenizes " Hello", " It", " was" and the label words carry their own
  // space (" great"). Literals keep their own leading space (" It was"). Tokenizers that ignore spaces (CLIP)
  // are unaffected. Literals and fields are tokenized separately and concatenated.
  bool move_spaces = true;
};

struct PlacedBatch {
  at::Tensor input_ids;       // [B,T] int64; pad_id at padding and at soft positions
  at::Tensor attention_mask;  // [B,T] int64; 1 = real token or soft position
  at::Tensor position_ids;    // [B,T] int64; position_ids_from_mask(attention_mask)
  at::Tensor soft_index;      // [B,T] int64; k = the row's k-th prompt vector, -1 elsewhere
  at::Tensor read_position;   // [B] int64; see PlaceOptions::causal; without {mask}: the last real token
  at::Tensor mask_position;   // [B] int64; {mask}'s position (bidirectional), else -1
  int64_t num_soft = 0;       // P: prompt vectors each row expects
};

// Places a batch of rows (CPU tensors). Throws InputError for a missing field, an empty row, or a row that
// does not fit max_length even after cutting truncate_field.
PlacedBatch place(const Template& tmpl, const std::vector<TemplateRow>& rows, const Tokenize& tokenize,
                  const PlaceOptions& options = {});

// "Prompt at a marker inside the text": splits each row's `field` at its first `marker` into `field_a`
// (before) and `field_b` (after), for Template::infix(). Throws InputError naming the row without a marker.
std::vector<TemplateRow> split_at_marker(const std::vector<TemplateRow>& rows, const std::string& field,
                                         const std::string& marker, const std::string& field_a = "text_a",
                                         const std::string& field_b = "text_b");

// ---------------------------------------------------------------------------------------------------------
// Embedding level (sequences without token ids: patches, frames, units; and layer slots).

// Where insert_prompts() puts the prompt. kPrefix: `offset` positions after each row's first real token (offset
// 1 = after a CLS token), so left padding stays at the left. kSuffix: right after each row's last real token,
// before any right padding.
struct InsertAt {
  enum class Kind { kPrefix, kSuffix };
  Kind kind = Kind::kPrefix;
  int64_t offset = 0;
};

struct Insertion {
  SlotInput x;           // embeds [B,T+P,D], mask [B,T+P]
  at::Tensor soft_index; // [B,T+P] int64: k at the k-th prompt vector's position, -1 elsewhere
};

// x.embeds [B,T,D], x.mask [B,T]; prompts [B,P,D] (any float dtype, cast to x's), prompt_mask [B,P] or
// undefined (= all ones) -> [B,T+P,D]. Differentiable w.r.t. prompts (and x.embeds) by gather.
Insertion insert_prompts(const SlotInput& x, const at::Tensor& prompts, const at::Tensor& prompt_mask,
                         const InsertAt& at);

// embeds [B,T,D], soft_index [B,T] (k >= 0: the row's k-th prompt, -1: keep), prompts [B,P,D] -> [B,T,D].
// Gradients reach prompts at the soft positions and embeds elsewhere. The index range is checked on CPU only
// (no device sync per layer); on an accelerator an index >= P is the caller's bug.
at::Tensor scatter_prompts(const at::Tensor& embeds, const at::Tensor& soft_index, const at::Tensor& prompts);

// Deep prompts (VPT-deep, MaPLe): the hidden states at the positions an input-slot placement reserved are
// replaced by this layer's prompts. soft_index [B,T] as returned by place()/insert_prompts(); mask kept.
SlotInput replace_prompts(const SlotInput& x, const at::Tensor& soft_index, const at::Tensor& prompts);

// positions [B,P] int64 (the k-th prompt sits at positions[b][k]) -> soft_index [B,T] with -1 elsewhere.
at::Tensor soft_index_from_positions(const at::Tensor& positions, int64_t length);

}  // namespace softprompt::core
