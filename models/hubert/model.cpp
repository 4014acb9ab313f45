#include "models/hubert/model.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "models/weights/hf_checkpoint.h"

namespace softprompt::models::hubert {

ModelImpl::ModelImpl(Config config) : config_(std::move(config)) {
  config_.validate();
  feature_extractor = register_module("feature_extractor", FeatureEncoder(config_));
  feature_projection = register_module("feature_projection", FeatureProjection(config_));
  encoder = register_module("encoder", Encoder(config_));
}

int64_t ModelImpl::num_frames(int64_t num_samples) const {
  int64_t n = num_samples;
  for (size_t i = 0; i < config_.conv_kernel.size(); ++i) {
    if (n < config_.conv_kernel[i]) return 0;
    n = (n - config_.conv_kernel[i]) / config_.conv_stride[i] + 1;
  }
  return n;
}

at::Tensor ModelImpl::frame_lengths(const at::Tensor& sample_lengths) const {
  at::Tensor n = sample_lengths.to(torch::kLong);
  for (size_t i = 0; i < config_.conv_kernel.size(); ++i)
    n = torch::div(n - config_.conv_kernel[i], config_.conv_stride[i], "floor") + 1;
  return n.clamp_min(0);
}

at::Tensor ModelImpl::frame_mask(const at::Tensor& attention_mask, int64_t frames) const {
  TORCH_CHECK(attention_mask.dim() == 2, "hubert: attention_mask must be [B,N], got ",
              attention_mask.sizes());
  // HF counts the real samples (cumsum(-1)[:, -1]): the mask is assumed to be right padding.
  const at::Tensor lengths = frame_lengths(attention_mask.to(torch::kLong).sum(-1));
  return (torch::arange(frames, lengths.options()).unsqueeze(0) < lengths.unsqueeze(1)).to(torch::kLong);
}

core::SlotInput ModelImpl::embed_audio(const at::Tensor& input_values, const at::Tensor& attention_mask,
                                       at::Tensor* extract_features) {
  // [B,N] -> {[B,T,D], [B,T]}
  if (input_values.dim() != 2 || !input_values.is_floating_point())
    throw InputError("hubert: input_values must be a float [B,N] waveform, got " +
                     std::string(c10::toString(input_values.scalar_type())) + " of rank " +
                     std::to_string(input_values.dim()));
  const int64_t frames = num_frames(input_values.size(1));
  if (frames < 1)
    throw InputError("hubert: " + std::to_string(input_values.size(1)) +
                     " samples are shorter than the conv encoder's receptive field");
  if (attention_mask.defined() && attention_mask.sizes() != input_values.sizes())
    throw InputError("hubert: attention_mask must have the shape of input_values");
  const at::Tensor w = feature_projection->projection->weight;
  const at::Tensor features = feature_extractor(input_values.to(w.device(), w.scalar_type())).transpose(1, 2);
  if (extract_features) *extract_features = features;
  core::SlotInput out;
  out.embeds = feature_projection(features);
  out.mask = attention_mask.defined()
                 ? frame_mask(attention_mask.to(w.device()), frames)
                 : torch::ones({input_values.size(0), frames}, w.options().dtype(torch::kLong));
  return out;
}

at::Tensor ModelImpl::embed(const at::Tensor& input_values) { return embed_audio(input_values).embeds; }

BackboneOutput ModelImpl::encode(core::SlotInput x, core::PromptInjector& prompts,
                                 const ForwardOptions& options, int64_t layers) {
  TORCH_CHECK(x.embeds.dim() == 3 && x.embeds.size(2) == config_.hidden_size, "hubert: embeds must be [B,T,",
              config_.hidden_size, "], got ", x.embeds.sizes());
  TORCH_CHECK(layers >= 0 && layers <= config_.num_hidden_layers, "hubert: layers must be in [0, ",
              config_.num_hidden_layers, "], got ", layers);
  if (options.position_ids.defined())
    throw InputError("hubert: position_ids are not used (positions come from the positional convolution)");
  const int64_t batch = x.embeds.size(0);
  at::Tensor mask = x.mask.defined()
                        ? x.mask.to(torch::kLong)
                        : torch::ones({batch, x.embeds.size(1)}, x.embeds.options().dtype(torch::kLong));
  TORCH_CHECK(mask.sizes() == x.embeds.sizes().slice(0, 2), "hubert: mask ", mask.sizes(),
              " does not fit embeds ", x.embeds.sizes());
  const at::Tensor w = feature_projection->projection->weight;
  // Padded frames are zeroed before the positional conv so they do not leak into their neighbours.
  at::Tensor h = x.embeds.to(w.scalar_type()).masked_fill(mask.eq(0).unsqueeze(-1), 0.0);
  h = h + encoder->pos_conv_embed(h);
  if (!config_.do_stable_layer_norm) h = encoder->layer_norm(h);
  BackboneOutput out;
  for (int64_t i = 0; i < layers; ++i) {
    core::SlotInput y = prompts.at_slot(core::layer_slot("audio", i), {h, mask});
    h = y.embeds;
    if (y.mask.defined()) mask = y.mask.to(torch::kLong);
    if (options.output_hidden_states) out.hidden_states.push_back(h);
    std::optional<core::KV> kv = prompts.kv_at(core::kv_slot("audio", i), batch);
    const at::Tensor keys = kv ? torch::cat({kv->mask.to(mask.device(), torch::kLong), mask}, 1) : mask;
    h = encoder->layers[i]->as<EncoderLayerImpl>()->forward(h, key_bias_from_mask(keys), kv);
  }
  if (config_.do_stable_layer_norm && layers == config_.num_hidden_layers) h = encoder->layer_norm(h);
  if (options.output_hidden_states) out.hidden_states.push_back(h);
  out.last_hidden_state = h;
  out.mask = mask;
  return out;
}

BackboneOutput ModelImpl::forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                                        const ForwardOptions& options) {
  return encode(prompts.at_slot(core::input_slot("audio"), std::move(x)), prompts, options,
                config_.num_hidden_layers);
}

Output ModelImpl::forward(const at::Tensor& input_values, const at::Tensor& attention_mask,
                          const ForwardOptions& options, core::PromptInjector* prompts) {
  core::NoPrompts none;
  Output out;
  core::SlotInput x = embed_audio(input_values, attention_mask, &out.extract_features);
  BackboneOutput o = forward_slots(std::move(x), prompts ? *prompts : none, options);
  out.last_hidden_state = o.last_hidden_state;
  out.hidden_states = std::move(o.hidden_states);
  out.mask = o.mask;
  return out;
}

core::SlotInput ModelImpl::layer_features(const at::Tensor& input_values, const at::Tensor& attention_mask,
                                          int64_t layer) {
  if (layer < 0 || layer > config_.num_hidden_layers)
    throw InputError("hubert: layer " + std::to_string(layer) + " is out of [0, " +
                     std::to_string(config_.num_hidden_layers) + "]");
  core::NoPrompts none;
  BackboneOutput o = encode(embed_audio(input_values, attention_mask), none, {}, layer);
  return {o.last_hidden_state, o.mask};
}

std::vector<std::string> ModelImpl::slots() const {
  std::vector<std::string> s{core::input_slot("audio")};
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) s.push_back(core::layer_slot("audio", i));
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) s.push_back(core::kv_slot("audio", i));
  return s;
}

void ModelImpl::set_weight_files(std::vector<std::string> files) {
  weight_files_ = std::move(files);
  fingerprint_.clear();
}

std::string ModelImpl::backbone_id() const {
  if (fingerprint_.empty())
    fingerprint_ = weight_files_.empty() ? "unloaded" : weights::checkpoint_fingerprint(weight_files_);
  return "hubert/" + config_.name + "@" + fingerprint_;
}

}  // namespace softprompt::models::hubert
