#include "models/clip/load.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "models/clip/openai_layout.h"
#include "models/weights/strict_loader.h"

namespace softprompt::models::clip {
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot open '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError("cannot parse '" + path + "': " + e.what());
  }
}

LoadedClip finish(ClipModel model, const TensorMap& tensors, ClipLayout layout, const std::string& weights,
                  c10::Device device) {
  try {
    weights::load_strict(*model, tensors, weights);
  } catch (const InputError& e) {
    if (layout != ClipLayout::kOpenAI) throw;
    throw InputError(std::string(e.what()) +
                     " (OpenAI-layout keys are named after conversion to the Hugging Face layout, see "
                     "models/clip/openai_layout.h)");
  }
  weights::freeze(*model);
  model->to(device);
  model->set_backbone_id(std::string(layout == ClipLayout::kOpenAI ? "clip-openai:" : "clip-hf:") +
                         weights::file_fingerprint(weights));
  return {model, layout, weights};
}

}  // namespace

LoadedClip load_clip(const std::string& path, c10::Device device) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const auto config_path = (fs::path(path) / "config.json").string();
    const auto weights = (fs::path(path) / "model.safetensors").string();
    const auto config = config_from_hf_json(read_json(config_path), config_path);
    if (!fs::exists(weights, ec))
      throw IoError("'" + path + "' has no model.safetensors (only the safetensors format is read)");
    auto tensors = weights::rename_keys(core::io::load_safetensors(weights), hf_key);
    return finish(ClipModel(config), tensors, ClipLayout::kHuggingFace, weights, device);
  }
  if (!fs::exists(path, ec)) throw IoError("'" + path + "' does not exist");
  auto state = core::io::load_safetensors(path);
  if (!looks_like_openai_clip(state))
    throw InputError("'" + path + "' is not an OpenAI-layout CLIP state dict (no positional_embedding, "
                     "token_embedding.weight, visual.conv1.weight); for Hugging Face CLIP give its directory");
  const auto config = config_from_openai_state_dict(state, path);
  return finish(ClipModel(config), openai_to_hf(state, path), ClipLayout::kOpenAI, path, device);
}

bool is_clip_checkpoint(const std::string& path) {
  std::error_code ec;
  try {
    if (fs::is_directory(path, ec)) {
      const auto config = read_json((fs::path(path) / "config.json").string());
      return config.is_object() && config.value("model_type", "") == "clip";
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
