#include "models/clip/text_model.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/placement.h"

namespace softprompt::models::clip {

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& c) {
  token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding = register_module("position_embedding", torch::nn::Embedding(c.max_positions, c.hidden_size));
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c) : config_(c) {
  embeddings = register_module("embeddings", ClipTextEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(c.num_layers, c.hidden_size, c.num_heads, c.intermediate_size,
                                                   c.activation, c.layer_norm_eps));
  final_layer_norm = register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

at::Tensor ClipTextTransformerImpl::embed(const at::Tensor& ids) {
  if (ids.dim() != 2) throw InputError("input_ids must be [B,T], got " + std::to_string(ids.dim()) + " dims");
  if (ids.numel() && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= config_.vocab_size))
    throw InputError("input_ids out of range [0," + std::to_string(config_.vocab_size) + "): min " +
                     std::to_string(ids.min().item<int64_t>()) + ", max " + std::to_string(ids.max().item<int64_t>()));
  return embeddings->token_embedding(ids.to(torch::kLong));
}

at::Tensor ClipTextTransformerImpl::eot_index(const at::Tensor& ids) const {
  TORCH_CHECK(ids.dim() == 2, "input_ids must be [B,T], got ", ids.sizes());
  if (config_.eot_rule == EotRule::kArgmax) return ids.to(torch::kLong).argmax(1);
  // HF: (ids == eos).int().argmax(-1), the first match, 0 when a row has none.
  return ids.eq(config_.eos_token_id).to(torch::kInt).argmax(1);
}

TextEncoding ClipTextTransformerImpl::encode(core::SlotInput x, at::Tensor eot, core::PromptInjector& prompts,
                                             const TextEncodeOptions& options) {
  const int64_t d = config_.hidden_size;
  TORCH_CHECK(x.embeds.dim() == 3 && x.embeds.size(2) == d, "text embeds must be [B,T,", d, "], got ",
              x.embeds.sizes());
  if (!x.mask.defined()) x.mask = torch::ones({x.embeds.size(0), x.embeds.size(1)}, x.embeds.options().dtype(torch::kLong));
  x = prompts.at_slot(core::input_slot("text"), std::move(x));  // [B,T,D] -> [B,T',D]
  const int64_t b = x.embeds.size(0), t = x.embeds.size(1);
  TORCH_CHECK(x.mask.sizes() == at::IntArrayRef({b, t}), "slot text: mask ", x.mask.sizes(), " for embeds ",
              x.embeds.sizes());
  if (!eot.defined()) eot = last_real_position(x.mask);
  eot = eot.to(x.embeds.device(), torch::kLong);
  TORCH_CHECK(eot.dim() == 1 && eot.size(0) == b, "eot_index must be [", b, "], got ", eot.sizes());
  const int64_t longest = b ? eot.max().item<int64_t>() + 1 : 0;
  if (b && (eot.min().item<int64_t>() < 0 || longest > t))
    throw InputError("eot_index out of range for a sequence of " + std::to_string(t) + " positions");
  const int64_t keep = options.truncate ? longest : t;
  if (keep > config_.max_positions)
    throw InputError("text sequence of " + std::to_string(keep) + " positions (prompts included) exceeds the " +
                     "context length " + std::to_string(config_.max_positions));
  // Positions follow the mask after injection (core/placement.h): 0..n-1 on real tokens, so a masked hole
  // (a shorter prompt of a per-sample bank) leaves the row equal to its prompt alone. Unpadded rows: 0..T-1.
  at::Tensor ids = options.arange_positions ? torch::arange(t, x.mask.options().dtype(torch::kLong)).expand({b, t})
                   : options.position_ids.defined() ? options.position_ids
                                                    : core::position_ids_from_mask(x.mask);
  TORCH_CHECK(ids.dim() == 2 && ids.size(0) == b && ids.size(1) == t, "position_ids must be [", b, ",", t, "], got ",
              ids.sizes());
  x.embeds = x.embeds.narrow(1, 0, keep) + embeddings->position_embedding(ids.narrow(1, 0, keep).to(x.embeds.device()));
  x.mask = x.mask.narrow(1, 0, keep);  // [B,T'',D], [B,T'']
  TextEncoding out;
  x = encoder(x, /*causal=*/true, "text", prompts, /*fixed_length=*/true,
              options.output_hidden_states ? &out.hidden_states : nullptr, /*slot_length=*/t);
  out.last_hidden_state = final_layer_norm(x.embeds);
  out.pooled = out.last_hidden_state.index({torch::arange(b, eot.options()), eot});  // [B,D]
  out.eot_index = eot;
  out.mask = x.mask;
  return out;
}

at::Tensor mask_through(const at::Tensor& eot_index, int64_t length) {
  auto pos = torch::arange(length, eot_index.options().dtype(torch::kLong)).unsqueeze(0);
  return pos.le(eot_index.to(torch::kLong).unsqueeze(1)).to(torch::kLong);
}

}  // namespace softprompt::models::clip
