#pragma once
// Prefix tuning (Li & Liang 2021, "Prefix-Tuning: Optimizing Continuous Prompts for Generation") and P-tuning
// v2 (Liu et al. 2022): P trainable keys and values prepended in every attention block, at the key/value
// slots "<m>.kv.0" .. "<m>.kv.L-1". Optionally reparameterized as Li & Liang train it: an embedding [P,D]
// through an MLP D -> hidden -> 2*L*D gives every layer's keys and values. The MLP only eases training: the
// artifact stores its output, the plain per-layer keys/values (as PEFT does), named like PromptSet's state
// dict ("text_kv_3.key.prompt_embeddings"), so core/peft_convert exports it as PREFIX_TUNING.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/methods/method.h"
#include "core/prompt_source.h"

namespace softprompt::core::methods {

enum class PrefixReparam { kNone, kMlp };

struct PrefixTuningOptions {
  int64_t num_tokens = 20;  // P
  PrefixReparam reparam = PrefixReparam::kNone;
  int64_t encoder_hidden = 512;  // kMlp: the MLP's hidden width (Li & Liang: 512)
  double init_range = 0.5;       // U(-range, range) for the keys/values or the MLP's input
  int64_t seed = 0;
  void validate() const;  // InputError naming the bad value
};

// Li & Liang's reparameterization: embedding [P,D] -> Linear(D,H) -> tanh -> Linear(H, 2*L*D).
class PrefixEncoderImpl : public torch::nn::Module {
 public:
  PrefixEncoderImpl(int64_t num_tokens, int64_t dim, int64_t num_layers, int64_t hidden, double init_range,
                    int64_t seed);
  // -> layer i's key [P,D] and value [P,D] (only that layer's slice of the output Linear is computed).
  std::pair<at::Tensor, at::Tensor> layer(int64_t i) const;

  at::Tensor embedding;  // [P,D]
  torch::nn::Linear hidden{nullptr}, out{nullptr};

 private:
  int64_t dim_;
};
TORCH_MODULE(PrefixEncoder);

// The key/value source of one layer: plain keys/values ("key"/"value" soft prompts) or the encoder's slice.
class PrefixLayerImpl : public core::KvSourceImpl {
 public:
  PrefixLayerImpl(int64_t layer, std::shared_ptr<PrefixEncoderImpl> encoder);  // reparameterized
  PrefixLayerImpl(at::Tensor key, at::Tensor value);                           // plain [P,D] each
  int64_t num_prompts() const override { return 1; }
  // rows [B] -> KV{key [B,P,D], value [B,P,D], mask ones [B,P]}
  core::KV select(const at::Tensor& rows) override;
  std::pair<at::Tensor, at::Tensor> key_value() const;  // [P,D] x2
  // Replaces the encoder by plain parameters holding its current output.
  void fold();

 private:
  void make_plain(const at::Tensor& key, const at::Tensor& value);
  int64_t layer_ = -1;
  std::shared_ptr<PrefixEncoderImpl> encoder_;
  std::shared_ptr<SoftPromptImpl> key_, value_;
};
TORCH_MODULE(PrefixLayer);

class PrefixTuningImpl : public MethodImpl {
 public:
  // Adds one PrefixLayer per key/value slot of ctx (check_slot_context).
  PrefixTuningImpl(std::string name, PrefixTuningOptions options, const MethodContext& ctx);
  nlohmann::json options_json() const override;
  std::vector<std::string> slots() const override { return slots_; }
  io::TensorMap export_tensors() const override;  // folded: "<m>_kv_<i>.{key,value}.prompt_embeddings"
  void load_tensors(const io::TensorMap& tensors) override;  // folds first
  bool folded() const { return !encoder_; }
  void fold();

 private:
  PrefixTuningOptions options_;
  std::vector<std::string> slots_;
  std::vector<std::shared_ptr<PrefixLayerImpl>> layers_;
  std::shared_ptr<PrefixEncoderImpl> encoder_;  // null when plain or folded
};
TORCH_MODULE(PrefixTuning);

// Registry factory: `name` is "prefix" (default reparam mlp) or "p_tuning_v2" (default none).
Method make_prefix_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx);

}  // namespace softprompt::core::methods
