#pragma once
// HuBERT as a frozen backbone with embedding slots (DESIGN.md): a port of HF HubertModel's inference path
// (transformers 4.36), modules registered under HubertModel's key names (feature_extractor.*,
// feature_projection.*, encoder.*). Both variants: post-LN (hubert-base) and stable layer norm
// (hubert-large).
//
// Slots, in the order the forward pass calls them:
//   "audio"          the frame sequence [B,T,D] after the feature projection and BEFORE the positional
//                    convolution. Prompts placed here go through the positional conv like real frames (so
//                    they receive relative position information), and the encoder sees them at every layer.
//                    Padded frames (mask 0) are zeroed right after this slot, as HF does before the pos-conv.
//   "audio.layer.i"  for every layer i in 0..L-1: the hidden sequence entering layer i (post-LN: layer 0
//                    is after pos-conv + encoder LayerNorm, HF's hidden_states[0]).
//   "audio.kv.i"     for every layer i: extra keys/values [B,P,D] prepended in layer i's attention.
// Attention masks keys only: padded frames still produce outputs (compare only valid frames, as with HF).
// Dropout, SpecAugment masking and layer drop are training-time features and are not implemented.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "core/slots.h"
#include "models/backbone.h"
#include "models/hubert/config.h"
#include "models/hubert/encoder.h"
#include "models/hubert/layers.h"

namespace softprompt::models::hubert {

// HubertModel's outputs (HF names).
struct Output {
  at::Tensor extract_features;            // [B,T,C] conv encoder output, transposed (before the projection)
  at::Tensor last_hidden_state;           // [B,T',D]
  std::vector<at::Tensor> hidden_states;  // when asked: L+1 entries, HF's convention (see encode)
  at::Tensor mask;                        // [B,T'] int64 frame mask (1 = real frame or prompt)
};

class ModelImpl : public torch::nn::Module, public Backbone {
 public:
  explicit ModelImpl(Config config);

  // HuBERT has no token ids: its inputs are samples. input_values [B,N] float -> audio-slot embeddings
  // [B,T,D]. Integer input is an InputError.
  at::Tensor embed(const at::Tensor& input_values) override;
  // input_values [B,N] float; attention_mask [B,N] (1 = real sample, right padding) or undefined -> the
  // "audio" slot input {embeds [B,T,D], mask [B,T] int64}. extract_features, when given, receives [B,T,C].
  // Throws InputError when N is shorter than the receptive field (400 samples for the standard strides).
  core::SlotInput embed_audio(const at::Tensor& input_values, const at::Tensor& attention_mask = {},
                              at::Tensor* extract_features = nullptr);
  // Runs from the "audio" slot through every layer. x.mask undefined = every frame real.
  BackboneOutput forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                               const ForwardOptions& options = {}) override;
  // As forward_slots, but without calling the "audio" slot, and stopping after `layers` layers:
  // last_hidden_state = HF's hidden_states[layers] (the stable variant's final LayerNorm only when layers ==
  // L). hidden_states (when asked): entry i < L is the input of layer i (after injection); entry L the
  // output.
  BackboneOutput encode(core::SlotInput x, core::PromptInjector& prompts, const ForwardOptions& options,
                        int64_t layers);
  // HubertModel.forward: waveform [B,N] (+ attention_mask [B,N]) -> Output. `prompts` null = no prompts.
  Output forward(const at::Tensor& input_values, const at::Tensor& attention_mask = {},
                 const ForwardOptions& options = {}, core::PromptInjector* prompts = nullptr);
  // HF's hidden_states[layer] alone (0 <= layer <= L), running only `layer` layers: the frame features that
  // GSLM / SpeechPrompt quantize into units (layer 6 of hubert-base). -> {[B,T,D], frame mask [B,T]}.
  core::SlotInput layer_features(const at::Tensor& input_values, const at::Tensor& attention_mask,
                                 int64_t layer);

  // Frames the conv encoder makes of n samples: floor((n - k) / s) + 1 per layer (0 when too short).
  int64_t num_frames(int64_t num_samples) const;
  // The same for a [B] tensor of lengths (int64, same device).
  at::Tensor frame_lengths(const at::Tensor& sample_lengths) const;
  // HF's _get_feature_vector_attention_mask: [B,N] sample mask -> [B,frames] int64, 1 for t < frame_length.
  at::Tensor frame_mask(const at::Tensor& attention_mask, int64_t frames) const;

  std::vector<std::string> slots() const override;
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t num_layers() const override { return config_.num_hidden_layers; }
  // "hubert/<preset>@<weights fingerprint>".
  std::string backbone_id() const override;
  const Config& config() const { return config_; }
  void set_weight_files(std::vector<std::string> files);

  FeatureEncoder feature_extractor{nullptr};
  FeatureProjection feature_projection{nullptr};
  Encoder encoder{nullptr};

 private:
  Config config_;
  std::vector<std::string> weight_files_;
  mutable std::string fingerprint_;
};
TORCH_MODULE(Model);

}  // namespace softprompt::models::hubert
