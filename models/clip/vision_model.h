#pragma once
// CLIP's image tower, a ViT (Dosovitskiy et al. 2021): conv patch embedding, class token, absolute positions,
// pre-LN ("pre_layrnorm", HF's spelling), transformer, post-LN of the class token. Slots: "vision" (after
// class token + positions, before pre_layrnorm: VPT-shallow; keep the class token first), "vision.layer.i"
// (VPT-deep, MaPLe), "vision.kv.i".
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "core/slots.h"
#include "models/clip/config.h"
#include "models/clip/layers.h"

namespace softprompt::models::clip {

class ClipVisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipVisionEmbeddingsImpl(const ClipVisionConfig& config);
  // pixel_values [B,C,H,W] -> [B,1+N,D]: class token, then patches, positions added.
  at::Tensor forward(const at::Tensor& pixel_values);

  at::Tensor class_embedding;
  torch::nn::Conv2d patch_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipVisionEmbeddings);

struct VisionEncoding {
  at::Tensor last_hidden_state;  // [B,N',D] last block output, before post_layernorm (HF's convention)
  at::Tensor pooled;             // [B,D] post_layernorm(last_hidden_state[:,0]) (HF pooler_output)
  at::Tensor mask;               // [B,N'] after injection
  std::vector<at::Tensor> hidden_states;  // when requested: the input of every block (after pre-LN), then
                                          // the last output
};

class ClipVisionTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipVisionTransformerImpl(const ClipVisionConfig& config);

  // pixel_values [B,C,H,W] (H = W = image_size) -> embeddings [B,1+N,D] -> prompts at "vision" -> [B,N',D]
  // -> pre_layrnorm -> blocks -> pooled = post_layernorm(position 0).
  VisionEncoding encode(const at::Tensor& pixel_values, core::PromptInjector& prompts,
                        bool output_hidden_states = false);

  const ClipVisionConfig& config() const { return config_; }

  ClipVisionEmbeddings embeddings{nullptr};
  torch::nn::LayerNorm pre_layrnorm{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm post_layernorm{nullptr};

 private:
  ClipVisionConfig config_;
};
TORCH_MODULE(ClipVisionTransformer);

}  // namespace softprompt::models::clip
