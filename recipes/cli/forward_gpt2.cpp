// `softprompt forward` for GPT-2 directories (config.json model_type "gpt2"). Reproduces HF
// GPT2LMHeadModel(input_ids | inputs_embeds, attention_mask, position_ids, output_hidden_states=True):
// without position_ids every row uses 0..T-1 exactly as HF does (pass position_ids for left padding).
// Outputs: logits [B,T,V], last_hidden_state [B,T,D], hidden_states.0..L [B,T,D].
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "models/gpt2/loader.h"
#include "recipes/cli/forward_family.h"

namespace softprompt::cli {
namespace {

using core::io::TensorMap;

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void check_dtype(const std::string& name, const at::Tensor& t, const std::set<at::ScalarType>& allowed) {
  if (allowed.count(t.scalar_type())) return;
  std::string names;
  for (auto type : allowed) names += (names.empty() ? "" : ", ") + core::io::safetensors_dtype(type);
  throw InputError("input '" + name + "' has dtype " + core::io::safetensors_dtype(t.scalar_type()) +
                   ", expected one of " + names);
}

void check_shape(const std::string& name, const at::Tensor& t, const std::vector<int64_t>& expected) {
  if (t.sizes() != at::IntArrayRef(expected))
    throw InputError("input '" + name + "' has shape " + shape_str(t.sizes()) + ", expected " +
                     shape_str(expected));
}

void check_range(const std::string& name, const at::Tensor& t, int64_t lo, int64_t hi) {
  if (t.numel() == 0) return;
  const int64_t mn = t.min().item<int64_t>(), mx = t.max().item<int64_t>();
  if (mn < lo || mx >= hi)
    throw InputError("input '" + name + "' holds values in [" + std::to_string(mn) + "," +
                     std::to_string(mx) + "], expected [" + std::to_string(lo) + "," + std::to_string(hi) +
                     ")");
}

// Validates the HF-named inputs against the config; returns embeddings [B,T,D], mask [B,T], positions [B,T].
struct Gpt2Inputs {
  at::Tensor embeds, mask, positions;
};

Gpt2Inputs read_inputs(models::gpt2::ModelImpl& model, const TensorMap& in) {
  static const std::set<std::string> kNames = {"input_ids", "attention_mask", "position_ids",
                                               "inputs_embeds"};
  for (const auto& [name, t] : in)
    if (!kNames.count(name))
      throw InputError("unknown input '" + name +
                       "' (gpt2 takes input_ids or inputs_embeds, attention_mask, position_ids)");
  const bool has_ids = in.count("input_ids"), has_embeds = in.count("inputs_embeds");
  if (has_ids == has_embeds) throw InputError("give exactly one of 'input_ids' and 'inputs_embeds'");
  const auto& c = model.config();
  const std::set<at::ScalarType> kInts = {at::kLong, at::kInt};
  Gpt2Inputs out;
  if (has_ids) {
    const at::Tensor& ids = in.at("input_ids");
    check_dtype("input_ids", ids, kInts);
    if (ids.dim() != 2)
      throw InputError("input 'input_ids' has shape " + shape_str(ids.sizes()) + ", expected [B,T]");
    check_range("input_ids", ids, 0, c.vocab_size);
    out.embeds = model.embed(ids.to(at::kLong));
  } else {
    const at::Tensor& e = in.at("inputs_embeds");
    check_dtype("inputs_embeds", e, {at::kFloat, at::kHalf, at::kBFloat16, at::kDouble});
    if (e.dim() != 3 || e.size(2) != c.n_embd)
      throw InputError("input 'inputs_embeds' has shape " + shape_str(e.sizes()) + ", expected [B,T," +
                       std::to_string(c.n_embd) + "]");
    out.embeds = e.to(at::kFloat);
  }
  const int64_t b = out.embeds.size(0), t = out.embeds.size(1);
  if (t < 1 || t > c.n_positions)
    throw InputError("sequence length " + std::to_string(t) + " is outside [1," +
                     std::to_string(c.n_positions) + "]");
  out.mask = torch::ones({b, t}, torch::kLong);
  if (in.count("attention_mask")) {
    const at::Tensor& m = in.at("attention_mask");
    check_dtype("attention_mask", m, {at::kLong, at::kInt, at::kBool, at::kByte, at::kFloat});
    check_shape("attention_mask", m, {b, t});
    if (!((m == 0) | (m == 1)).all().item<bool>())
      throw InputError("input 'attention_mask' must hold only 0 and 1");
    out.mask = m.to(at::kLong);
  }
  out.positions = torch::arange(t, torch::kLong).unsqueeze(0).expand({b, t});  // HF's default
  if (in.count("position_ids")) {
    const at::Tensor& p = in.at("position_ids");
    check_dtype("position_ids", p, kInts);
    check_shape("position_ids", p, {p.dim() == 2 && p.size(0) == 1 ? 1 : b, t});
    check_range("position_ids", p, 0, c.n_positions);
    out.positions = p.to(at::kLong).expand({b, t});
  }
  return out;
}

TensorMap run_gpt2(const std::string& dir, const TensorMap& inputs) {
  auto model = models::gpt2::load_pretrained(dir);
  torch::NoGradGuard no_grad;
  const Gpt2Inputs x = read_inputs(*model, inputs);
  models::ForwardOptions options;
  options.output_hidden_states = true;
  options.position_ids = x.positions;
  core::NoPrompts none;
  const auto out = model->forward_slots({x.embeds, x.mask}, none, options);
  TensorMap result;
  result["last_hidden_state"] = out.last_hidden_state;
  result["logits"] = model->lm_logits(out.last_hidden_state);
  for (size_t i = 0; i < out.hidden_states.size(); ++i)
    result["hidden_states." + std::to_string(i)] = out.hidden_states[i];
  return result;
}

ForwardFamilyRegistration reg({"gpt2",
                               [](const std::string&, const nlohmann::json& config) {
                                 return config.is_object() && config.contains("model_type") &&
                                        config["model_type"] == "gpt2";
                               },
                               run_gpt2});

}  // namespace
}  // namespace softprompt::cli
