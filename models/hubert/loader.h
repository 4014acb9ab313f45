#pragma once
// Loads HuBERT strictly (every missing, unexpected or wrongly shaped key is an InputError naming it) from
// either upstream layout:
//  * Hugging Face: HubertModel keys (feature_extractor.*, feature_projection.*, encoder.*), or a task model's
//    (HubertForCTC / ForSequenceClassification) with the "hubert." prefix, whose heads are dropped;
//  * torchaudio: Wav2Vec2Model's state dict (torchaudio.models.wav2vec2.utils.import_huggingface_model),
//    which moves the projection to encoder.feature_projection.* and the layers to encoder.transformer.*.
// Weight norm may be stored as weight_g / weight_v or (PyTorch >= 2.1) parametrizations.weight.original{0,1}.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

#include "core/io/safetensors.h"
#include "models/hubert/config.h"
#include "models/hubert/model.h"

namespace softprompt::models::hubert {

struct LoadOptions {
  at::ScalarType dtype = at::kFloat;  // kFloat, kDouble, kBFloat16, kHalf
  c10::Device device = c10::kCPU;
  bool freeze = true;  // eval mode and requires_grad=false on every weight
};

enum class Layout { kHuggingFace, kTorchaudio };

// torchaudio when any key starts with "encoder.transformer.", else Hugging Face.
Layout detect_layout(const core::io::TensorMap& tensors);

// Key tables: upstream key -> module key, or nullopt to drop it (masked_spec_embed, which only SpecAugment
// training reads; task heads; torchaudio's `aux` CTC head).
std::optional<std::string> map_hf_key(const std::string& key);
std::optional<std::string> map_torchaudio_key(const std::string& key);

// Renames `tensors` (layout detected) and copies them into `model`. `source` (a path) is named in errors.
void load_weights(ModelImpl& model, const core::io::TensorMap& tensors, const std::string& source);

// A Hugging Face directory (config.json with model_type hubert + model.safetensors or shards).
Model load_pretrained(const std::string& dir, const LoadOptions& options = {});

// A single safetensors file in either layout, with the architecture given (torchaudio files carry no config).
Model load_file(const std::string& path, const Config& config, const LoadOptions& options = {});

}  // namespace softprompt::models::hubert
