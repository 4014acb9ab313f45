// `softprompt forward --backbone DIR --inputs IN.safetensors --outputs OUT.safetensors`: one forward pass of
// a pretrained backbone on tensors named as in Hugging Face's forward (input_ids, attention_mask, ...),
// writing the outputs under HF's output names (last_hidden_state, hidden_states.N, logits, ...). The family
// is chosen from DIR/config.json's model_type (or, for a single checkpoint file, by the families themselves);
// each family's handler lives in forward_<family>.cpp and registers itself in forward_families().
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "recipes/cli/command.h"
#include "recipes/cli/forward_family.h"

namespace softprompt::cli {

std::vector<ForwardFamily>& forward_families() {
  static std::vector<ForwardFamily> families;
  return families;
}

namespace {

struct ForwardArgs {
  std::string backbone;
  std::string inputs;
  std::string outputs;
};

// config.json of a HF directory, or null for a single file. Throws IoError / InputError naming the path.
nlohmann::json read_backbone_config(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw IoError("backbone '" + path + "' does not exist");
  if (!fs::is_directory(path)) return nullptr;
  const std::string config_path = (fs::path(path) / "config.json").string();
  if (!fs::exists(config_path)) throw IoError("backbone directory '" + path + "' has no config.json");
  try {
    return nlohmann::json::parse(core::io::read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw InputError("'" + config_path + "' is not valid JSON: " + e.what());
  }
}

const ForwardFamily& pick_family(const std::string& path, const nlohmann::json& config) {
  for (const auto& family : forward_families())
    if (family.matches(path, config)) return family;
  std::string known;
  for (const auto& family : forward_families()) known += (known.empty() ? "" : ", ") + family.name;
  std::string what = config.is_object() && config.contains("model_type")
                         ? "model_type " + config["model_type"].dump()
                         : std::string(config.is_null() ? "checkpoint file" : "config without model_type");
  throw InputError("no forward handler for backbone '" + path + "' (" + what + "); known families: " + known);
}

int run_forward(const ForwardArgs& args) {
  const nlohmann::json config = read_backbone_config(args.backbone);
  const ForwardFamily& family = pick_family(args.backbone, config);
  const core::io::TensorMap inputs = core::io::load_safetensors(args.inputs);
  const core::io::TensorMap outputs = family.run(args.backbone, inputs);
  core::io::save_safetensors(args.outputs, outputs, {{"family", family.name}, {"backbone", args.backbone}});
  std::cout << "forward (" << family.name << "): wrote " << outputs.size() << " tensor(s) to " << args.outputs
            << "\n";
  return 0;
}

Registration reg(
    "forward", "run a pretrained backbone on HF-named input tensors, write HF-named outputs",
    [](CLI::App& sub) {
      auto args = std::make_shared<ForwardArgs>();
      sub.add_option("--backbone", args->backbone, "HF model directory (config.json + weights)")->required();
      sub.add_option("--inputs", args->inputs, "safetensors with HF forward argument names")->required();
      sub.add_option("--outputs", args->outputs, "safetensors to write (atomically)")->required();
      return [args]() -> int { return run_forward(*args); };
    });

}  // namespace
}  // namespace softprompt::cli
