// `softprompt forward` for HuBERT directories (config.json model_type "hubert"). Reproduces HF
// HubertModel(input_values, attention_mask, output_hidden_states=True) plus model.feature_extractor:
// Inputs:  input_values [B,N] float (already normalised if the checkpoint expects it), attention_mask [B,N]
//          (optional, 0/1, right padding).
// Outputs: last_hidden_state [B,T,D], hidden_states.0..L [B,T,D], extract_features [B,T,C], and with a mask
//          frame_mask [B,T] int64 (the frames whose outputs are defined; compare only those, as with HF).
#include <torch/torch.h>

#include <set>
#include <string>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "models/hubert/loader.h"
#include "recipes/cli/forward_family.h"

namespace softprompt::cli {
namespace {

using core::io::TensorMap;

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// input_values [B,N] float32, attention_mask [B,N] int64 or undefined.
std::pair<at::Tensor, at::Tensor> read_inputs(const TensorMap& in) {
  for (const auto& [name, t] : in)
    if (name != "input_values" && name != "attention_mask")
      throw InputError("unknown input '" + name +
                       "' (hubert takes input_values and optionally attention_mask)");
  if (!in.count("input_values")) throw InputError("missing input 'input_values' ([B,N] float waveform)");
  const at::Tensor& x = in.at("input_values");
  if (!x.is_floating_point())
    throw InputError("input 'input_values' has dtype " + core::io::safetensors_dtype(x.scalar_type()) +
                     ", expected a float dtype");
  if (x.dim() != 2)
    throw InputError("input 'input_values' has shape " + shape_str(x.sizes()) + ", expected [B,N]");
  at::Tensor mask;
  if (in.count("attention_mask")) {
    const at::Tensor& m = in.at("attention_mask");
    static const std::set<at::ScalarType> kTypes = {at::kLong, at::kInt, at::kBool, at::kByte, at::kFloat};
    if (!kTypes.count(m.scalar_type()))
      throw InputError("input 'attention_mask' has dtype " + core::io::safetensors_dtype(m.scalar_type()) +
                       ", expected an integer, bool or float dtype");
    if (m.sizes() != x.sizes())
      throw InputError("input 'attention_mask' has shape " + shape_str(m.sizes()) + ", expected " +
                       shape_str(x.sizes()));
    if (!((m == 0) | (m == 1)).all().item<bool>())
      throw InputError("input 'attention_mask' must hold only 0 and 1");
    mask = m.to(at::kLong);
  }
  return {x.to(at::kFloat), mask};
}

TensorMap run_hubert(const std::string& dir, const TensorMap& inputs) {
  const auto [values, mask] = read_inputs(inputs);
  auto model = models::hubert::load_pretrained(dir);
  torch::NoGradGuard no_grad;
  models::ForwardOptions options;
  options.output_hidden_states = true;
  const models::hubert::Output out = model->forward(values, mask, options);
  TensorMap result;
  result["last_hidden_state"] = out.last_hidden_state;
  result["extract_features"] = out.extract_features;
  for (size_t i = 0; i < out.hidden_states.size(); ++i)
    result["hidden_states." + std::to_string(i)] = out.hidden_states[i];
  if (mask.defined()) result["frame_mask"] = out.mask;
  return result;
}

ForwardFamilyRegistration reg({"hubert",
                               [](const std::string&, const nlohmann::json& config) {
                                 return config.is_object() &&
                                        config.value("model_type", std::string()) == "hubert";
                               },
                               run_hubert});

}  // namespace
}  // namespace softprompt::cli
