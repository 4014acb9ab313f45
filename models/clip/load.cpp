#include "models/clip/load.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>

#include "core/errors.h"
#include "models/clip/openai_layout.h"
#include "models/weights/hf_checkpoint.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::clip {
namespace fs = std::filesystem;

namespace {

LoadedClip finish(ClipModel model, const TensorMap& tensors, ClipLayout layout,
                  const std::vector<std::string>& files, c10::Device device) {
  const std::string source = files.size() == 1 ? files[0] : files.empty() ? "<none>" : files[0] + ", ...";
  try {
    weights::load_strict(*model, tensors, source);
  } catch (const InputError& e) {
    if (layout != ClipLayout::kOpenAI) throw;
    throw InputError(std::string(e.what()) +
                     " (OpenAI-layout keys are named after conversion to the Hugging Face layout, see "
                     "models/clip/openai_layout.h)");
  }
  weights::freeze(*model);
  model->to(device);
  model->set_backbone_id(std::string(layout == ClipLayout::kOpenAI ? "clip-openai:" : "clip-hf:") +
                         weights::checkpoint_fingerprint(files));
  return {model, layout, files};
}

}  // namespace

LoadedClip load_clip(const std::string& path, c10::Device device) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const auto config = config_from_hf_json(weights::read_hf_config(path), (fs::path(path) / "config.json").string());
    std::vector<std::string> files;
    auto tensors = weights::rename_keys(weights::read_hf_weights(path, &files), hf_key);
    return finish(ClipModel(config), tensors, ClipLayout::kHuggingFace, files, device);
  }
  if (!fs::exists(path, ec)) throw IoError("'" + path + "' does not exist");
  auto state = core::io::load_safetensors(path);
  if (!looks_like_openai_clip(state))
    throw InputError("'" + path + "' is not an OpenAI-layout CLIP state dict (no positional_embedding, "
                     "token_embedding.weight, visual.conv1.weight); for Hugging Face CLIP give its directory");
  const auto config = config_from_openai_state_dict(state, path);
  return finish(ClipModel(config), openai_to_hf(state, path), ClipLayout::kOpenAI, {path}, device);
}

bool is_clip_checkpoint(const std::string& path) {
  std::error_code ec;
  try {
    if (fs::is_directory(path, ec)) {
      const auto config = weights::read_hf_config(path);
      return config.value("model_type", "") == "clip";
    }
    if (!fs::is_regular_file(path, ec)) return false;
    core::io::SafetensorsFile file(path);
    return file.contains("positional_embedding") && file.contains("token_embedding.weight") &&
           (file.contains("visual.conv1.weight") || file.contains("visual.layer1.0.conv1.weight"));
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace softprompt::models::clip
