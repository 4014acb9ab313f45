#pragma once
// The transformer blocks shared by both CLIP towers, registered under Hugging Face's key names
// (self_attn.{q,k,v,out}_proj, layer_norm1, mlp.fc1, mlp.fc2, layer_norm2); pre-LN residual blocks.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <string>
#include <vector>

#include "core/slots.h"
#include "models/clip/config.h"

namespace softprompt::models::clip {

// Multi-head self-attention (Vaswani et al. 2017) with optional extra prefix keys/values (a key/value slot).
class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t hidden, int64_t heads);
  // x [B,T,D]; allowed [B|1,1,T,T] bool (true = may attend) or undefined (all pairs);
  // extra: keys/values [B,P,D] that every query may see (mask [B,P]) -> [B,T,D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& allowed, const std::optional<core::KV>& extra);

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t heads_;
  int64_t head_dim_;
};
TORCH_MODULE(ClipAttention);

// The position-wise MLP: fc2(act(fc1(x))).
class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int64_t hidden, int64_t inner, Activation activation);
  at::Tensor forward(const at::Tensor& x);  // [...,D] -> [...,D]

  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(ClipMlp);

// One pre-LN block: x + attn(ln1(x)), then + mlp(ln2(x)).
class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  ClipEncoderLayerImpl(int64_t hidden, int64_t heads, int64_t inner, Activation activation, double eps);
  // [B,T,D] -> [B,T,D]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& allowed, const std::optional<core::KV>& extra);

  ClipAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

// The block stack of one tower. Calls the injector at "<modality>.layer.i" (sequence entering block i)
// and "<modality>.kv.i" (extra keys/values inside block i).
class ClipEncoderImpl : public torch::nn::Module {
 public:
  ClipEncoderImpl(int64_t layers, int64_t hidden, int64_t heads, int64_t inner, Activation activation,
                  double eps);
  // x.embeds [B,T,D], x.mask [B,T] -> [B,T',D] and its mask. `causal`: each query sees keys up to itself.
  // `fixed_length`: a layer slot must not change T (the text tower's pooling index depends on it).
  // hidden_states (optional): receives the input of every block and the last output (HF's convention).
  // slot_length > T: the sequence was cut after position T (causal truncation); layer slots still see
  // slot_length positions, the uncomputed tail as zeros with mask 0, so a prompt set's placement made at the
  // input slot still fits. The slot's output is cut back to T.
  core::SlotInput forward(core::SlotInput x, bool causal, const std::string& modality,
                          core::PromptInjector& prompts, bool fixed_length,
                          std::vector<at::Tensor>* hidden_states = nullptr, int64_t slot_length = 0);

  torch::nn::ModuleList layers{nullptr};

 private:
  std::vector<ClipEncoderLayer> blocks_;  // the same modules as `layers`, typed
};
TORCH_MODULE(ClipEncoder);

// The attention pattern for a mask [B,T] (1 = real): [B|1,1,T,T] bool, or undefined when every query may
// see every key (no padding, not causal).
at::Tensor attention_pattern(const at::Tensor& mask, bool causal);

// Position of the last nonzero entry per row of mask [B,T] -> [B] int64 (0 for a row without any).
at::Tensor last_real_position(const at::Tensor& mask);

}  // namespace softprompt::models::clip
