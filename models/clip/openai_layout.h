#pragma once
// Key tables between the checkpoint layouts CLIP ships in and this module's (= Hugging Face CLIPModel's)
// key names: the OpenAI state dict (clip.model.build_model) needs splits (in_proj = q|k|v along dim 0) and
// transposes (visual.proj, text_projection are [in,out]); the HF layout only drops stale buffers.
#include "core/io/safetensors.h"

#include <optional>
#include <string>

namespace softprompt::models::clip {

using core::io::TensorMap;

// HF layout -> module keys: drops `*.embeddings.position_ids` (buffers older checkpoints carry); every other
// key passes unchanged so that the strict loader names anything unexpected.
std::optional<std::string> hf_key(const std::string& key);

// OpenAI layout -> module keys. Splits in_proj_{weight,bias} into q/k/v, transposes the two projections,
// drops the JIT leftovers (input_resolution, context_length, vocab_size) and passes unknown keys through
// unchanged (the strict loader then reports them). Throws InputError naming the key for a wrong shape.
TensorMap openai_to_hf(const TensorMap& state, const std::string& source);

// True when the keys look like an OpenAI CLIP state dict (visual.* and positional_embedding at top level).
bool looks_like_openai_clip(const TensorMap& state);

}  // namespace softprompt::models::clip
