#pragma once
// CLIP's text tower: token + absolute position embeddings, a causal pre-LN transformer, final LayerNorm,
// pooled at the end-of-text token. Slots: "text" (token embeddings before positions are added, CoOp's
// place), "text.layer.i" (MaPLe / deep prompts; must keep the length), "text.kv.i" (prefix keys/values).
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "core/slots.h"
#include "models/clip/config.h"
#include "models/clip/layers.h"

namespace softprompt::models::clip {

class ClipTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipTextEmbeddingsImpl(const ClipTextConfig& config);
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

struct TextEncodeOptions {
  // Run only up to the longest EOT in the batch (exact: the tower is causal, so nothing after a row's EOT
  // reaches its pooled output). false = every position (HF's full last_hidden_state).
  bool truncate = true;
  // Optional [B,T'] for the sequence after the "text" slot; default core::position_ids_from_mask(mask after
  // injection): 0..n-1 over real tokens (= 0..T'-1 without padding), masked positions skipped.
  at::Tensor position_ids;
  bool arange_positions = false;      // 0..T'-1 whatever the mask (HF CLIPTextModel); ignores position_ids
  bool output_hidden_states = false;  // HF convention: embeddings output, then every block's output
};

struct TextEncoding {
  at::Tensor last_hidden_state;  // [B,T'',D] after final_layer_norm (T'' = T' or the longest EOT + 1)
  at::Tensor pooled;             // [B,D] last_hidden_state at the EOT (HF pooler_output)
  at::Tensor eot_index;          // [B] int64, positions in the sequence after the "text" slot
  at::Tensor mask;               // [B,T''] after injection (and truncation)
  std::vector<at::Tensor> hidden_states;  // when requested
};

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipTextTransformerImpl(const ClipTextConfig& config);

  // ids [B,T] int64 -> token embeddings [B,T,D] (no positions: that is the "text" slot's input).
  at::Tensor embed(const at::Tensor& ids);
  // ids [B,T] -> [B] EOT positions by the config's rule (argmax, or the first eos_token_id; 0 if absent).
  at::Tensor eot_index(const at::Tensor& ids) const;

  // x.embeds [B,T,D] token embeddings, x.mask [B,T] (undefined = all real) -> prompts at "text" give
  // [B,T',D] -> + positions -> blocks -> final LN -> pooled at the EOT.
  // eot_index [B]: EOT positions in the sequence AFTER the "text" slot; undefined = the last real position
  // of the mask after injection (give a mask that is 1 up to and including the EOT, and any placement
  // before the EOT is followed: that is what ClipModel::encode_text does).
  TextEncoding encode(core::SlotInput x, at::Tensor eot_index, core::PromptInjector& prompts,
                      const TextEncodeOptions& options = {});

  const ClipTextConfig& config() const { return config_; }

  ClipTextEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  ClipTextConfig config_;
};
TORCH_MODULE(ClipTextTransformer);

// A mask that is 1 up to and including each row's EOT and 0 after it: eot [B], length T -> [B,T] int64.
at::Tensor mask_through(const at::Tensor& eot_index, int64_t length);

}  // namespace softprompt::models::clip
