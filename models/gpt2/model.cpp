#include "models/gpt2/model.h"

#include <torch/torch.h>

#include "core/placement.h"
#include "models/gpt2/block.h"
#include "models/gpt2/lm_head.h"
#include "models/weights/hf_checkpoint.h"

namespace softprompt::models::gpt2 {
namespace {

// Checks that integer indices lie in [0, limit): a bad id gets a clear message instead of an index error
// (or, on CUDA, a device-side assert).
void check_index_range(const at::Tensor& ids, int64_t limit, const char* what) {
  TORCH_CHECK(!at::isFloatingType(ids.scalar_type()) && !ids.is_complex(), "gpt2: ", what,
              " must be an integer tensor, got ", ids.scalar_type());
  if (ids.numel() == 0) return;
  const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
  TORCH_CHECK(lo >= 0 && hi < limit, "gpt2: ", what, " must lie in [0,", limit, "), found values in [", lo,
              ",", hi, "]");
}

}  // namespace

ModelImpl::ModelImpl(Config config) : config_(std::move(config)) {
  config_.validate();
  wte = register_module("wte", torch::nn::Embedding(config_.vocab_size, config_.n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(config_.n_positions, config_.n_embd));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < config_.n_layer; ++i) h->push_back(Block(config_, i));
  ln_f = register_module(
      "ln_f",
      torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.n_embd}).eps(config_.layer_norm_epsilon)));
  if (!config_.tie_word_embeddings)
    lm_head = register_module(
        "lm_head",
        torch::nn::Linear(torch::nn::LinearOptions(config_.n_embd, config_.vocab_size).bias(false)));
}

at::Tensor ModelImpl::embed(const at::Tensor& ids) {
  TORCH_CHECK(ids.dim() == 2, "gpt2: input ids must be [B,T], got ", ids.sizes());
  check_index_range(ids, config_.vocab_size, "token ids");
  return wte(ids.to(wte->weight.device(), torch::kLong));
}

at::Tensor ModelImpl::resolve_positions(const core::SlotInput& x, const ForwardOptions& options) const {
  const int64_t b = x.embeds.size(0), t = x.embeds.size(1);
  at::Tensor pos;
  if (options.position_ids.defined()) {
    pos = options.position_ids;
    TORCH_CHECK(pos.dim() == 2 && pos.size(1) == t && (pos.size(0) == b || pos.size(0) == 1),
                "gpt2: position_ids must be [", b, ",", t, "] (the length after prompts), got ", pos.sizes());
    pos = pos.expand({b, t});
  } else {
    pos = core::position_ids_from_mask(x.mask);
  }
  check_index_range(pos, config_.n_positions, "position ids");
  return pos.to(wpe->weight.device(), torch::kLong);
}

BackboneOutput ModelImpl::forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                                        const ForwardOptions& options) {
  TORCH_CHECK(x.embeds.dim() == 3 && x.embeds.size(2) == config_.n_embd, "gpt2: embeddings must be [B,T,",
              config_.n_embd, "], got ", x.embeds.sizes());
  const auto device = wte->weight.device();
  if (!x.mask.defined()) x.mask = torch::ones({x.embeds.size(0), x.embeds.size(1)}, torch::kLong);
  x = prompts.at_slot(core::input_slot(config_.modality), std::move(x));  // [B,T,D] -> [B,T',D]
  TORCH_CHECK(x.embeds.dim() == 3 && x.mask.sizes() == x.embeds.sizes().slice(0, 2),
              "gpt2: input slot returned embeddings ", x.embeds.sizes(), " with mask ", x.mask.sizes());
  const int64_t batch = x.embeds.size(0);
  at::Tensor hidden = x.embeds.to(device, wte->weight.scalar_type()) + wpe(resolve_positions(x, options));
  at::Tensor mask = x.mask.to(device, torch::kLong);
  BackboneOutput out;
  at::Tensor bias, bias_mask;  // the additive mask is rebuilt only when the mask or a prefix changes
  for (int64_t i = 0; i < config_.n_layer; ++i) {
    core::SlotInput layer_in = prompts.at_slot(core::layer_slot(config_.modality, i), {hidden, mask});
    hidden = layer_in.embeds;
    mask = layer_in.mask.to(device, torch::kLong);
    if (options.output_hidden_states) out.hidden_states.push_back(hidden);
    std::optional<core::KV> prefix = prompts.kv_at(core::kv_slot(config_.modality, i), batch);
    if (prefix) {
      if (!prefix->mask.defined()) prefix->mask = torch::ones({batch, prefix->key.size(1)}, torch::kLong);
      bias = attention_bias(mask, prefix->mask.to(device));
      bias_mask = at::Tensor();
    } else if (!bias.defined() || !bias_mask.defined() || !bias_mask.is_same(mask)) {
      bias = attention_bias(mask, at::Tensor());
      bias_mask = mask;
    }
    hidden = h[i]->as<Block>()->forward(hidden, bias, prefix);
  }
  hidden = ln_f(hidden);
  if (options.output_hidden_states) out.hidden_states.push_back(hidden);
  out.last_hidden_state = hidden;
  out.mask = mask;
  return out;
}

BackboneOutput ModelImpl::forward(const at::Tensor& ids, const at::Tensor& mask,
                                  const ForwardOptions& options) {
  core::NoPrompts none;
  return forward_slots({embed(ids), mask}, none, options);
}

std::vector<std::string> ModelImpl::slots() const {
  std::vector<std::string> out{core::input_slot(config_.modality)};
  for (int64_t i = 0; i < config_.n_layer; ++i) out.push_back(core::layer_slot(config_.modality, i));
  for (int64_t i = 0; i < config_.n_layer; ++i) out.push_back(core::kv_slot(config_.modality, i));
  return out;
}

void ModelImpl::set_weight_files(std::vector<std::string> files) {
  weight_files_ = std::move(files);
  fingerprint_.clear();
}

std::string ModelImpl::backbone_id() const {
  if (fingerprint_.empty())
    fingerprint_ = weight_files_.empty() ? "unloaded" : weights::checkpoint_fingerprint(weight_files_);
  return "gpt2/" + config_.name + "@" + fingerprint_;
}

at::Tensor ModelImpl::lm_head_weight() const {
  return config_.tie_word_embeddings ? wte->weight : lm_head->weight;
}

at::Tensor ModelImpl::lm_logits(const at::Tensor& hidden, const at::Tensor& token_ids) {
  return head_logits(hidden, lm_head_weight(), token_ids);
}

at::Tensor ModelImpl::lm_loss(const at::Tensor& hidden, const at::Tensor& targets, int64_t chunk_positions) {
  return chunked_cross_entropy(hidden, lm_head_weight(), targets, chunk_positions);
}

std::vector<core::KV> ModelImpl::prefix_key_values(const at::Tensor& prompt_embeds) {
  TORCH_CHECK(prompt_embeds.dim() == 3 && prompt_embeds.size(2) == config_.n_embd,
              "gpt2: prompt embeddings must be [B,P,", config_.n_embd, "], got ", prompt_embeds.sizes());
  const int64_t b = prompt_embeds.size(0), p = prompt_embeds.size(1);
  const auto device = wte->weight.device();
  TORCH_CHECK(p <= config_.n_positions, "gpt2: a prefix of ", p, " positions exceeds n_positions ",
              config_.n_positions);
  at::Tensor mask = torch::ones({b, p}, torch::TensorOptions().dtype(torch::kLong).device(device));
  at::Tensor positions = torch::arange(p, mask.options()).unsqueeze(0).expand({b, p});
  at::Tensor hidden = prompt_embeds.to(device, wte->weight.scalar_type()) + wpe(positions);
  const at::Tensor bias = attention_bias(mask, at::Tensor());
  std::vector<core::KV> out;
  for (int64_t i = 0; i < config_.n_layer; ++i) {
    auto block = h[i]->as<Block>();
    auto [key, value] = block->attn->key_value(block->ln_1(hidden));
    out.push_back({key, value, mask});
    if (i + 1 < config_.n_layer) hidden = block->forward(hidden, bias, std::nullopt);
  }
  return out;
}

}  // namespace softprompt::models::gpt2
