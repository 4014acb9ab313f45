#include "models/hubert/config.h"

#include <nlohmann/json.hpp>

#include <set>
#include <type_traits>

#include "core/errors.h"
#include "models/weights/hf_config.h"

namespace softprompt::models::hubert {
namespace {

void require_positive(int64_t value, const std::string& field) {
  if (value <= 0)
    throw InputError("hubert config: " + field + " must be positive, got " + std::to_string(value));
}

bool is_activation(const std::string& name) {
  static const std::set<std::string> kNames = {"gelu", "gelu_new", "gelu_pytorch_tanh", "relu"};
  return kNames.count(name) > 0;
}

}  // namespace

void Config::validate() const {
  require_positive(hidden_size, "hidden_size");
  require_positive(num_hidden_layers, "num_hidden_layers");
  require_positive(num_attention_heads, "num_attention_heads");
  require_positive(intermediate_size, "intermediate_size");
  require_positive(num_conv_pos_embeddings, "num_conv_pos_embeddings");
  require_positive(num_conv_pos_embedding_groups, "num_conv_pos_embedding_groups");
  if (hidden_size % num_attention_heads != 0)
    throw InputError("hubert config: hidden_size " + std::to_string(hidden_size) +
                     " is not divisible by num_attention_heads " + std::to_string(num_attention_heads));
  if (hidden_size % num_conv_pos_embedding_groups != 0)
    throw InputError("hubert config: hidden_size " + std::to_string(hidden_size) +
                     " is not divisible by num_conv_pos_embedding_groups " +
                     std::to_string(num_conv_pos_embedding_groups));
  if (conv_dim.empty() || conv_dim.size() != conv_stride.size() || conv_dim.size() != conv_kernel.size())
    throw InputError(
        "hubert config: conv_dim, conv_stride and conv_kernel must be non-empty and of equal length (" +
        std::to_string(conv_dim.size()) + ", " + std::to_string(conv_stride.size()) + ", " +
        std::to_string(conv_kernel.size()) + ")");
  for (size_t i = 0; i < conv_dim.size(); ++i) {
    require_positive(conv_dim[i], "conv_dim[" + std::to_string(i) + "]");
    require_positive(conv_stride[i], "conv_stride[" + std::to_string(i) + "]");
    require_positive(conv_kernel[i], "conv_kernel[" + std::to_string(i) + "]");
  }
  if (feat_extract_norm != "group" && feat_extract_norm != "layer")
    throw InputError("hubert config: feat_extract_norm must be 'group' or 'layer', got '" +
                     feat_extract_norm + "'");
  if (!is_activation(hidden_act))
    throw InputError("hubert config: unsupported hidden_act '" + hidden_act + "'");
  if (!is_activation(feat_extract_activation))
    throw InputError("hubert config: unsupported feat_extract_activation '" + feat_extract_activation + "'");
  if (!(layer_norm_eps > 0)) throw InputError("hubert config: layer_norm_eps must be positive");
}

Config hubert_base() {
  Config c;
  c.name = "hubert-base";
  return c;
}

Config hubert_large() {
  Config c;
  c.name = "hubert-large";
  c.hidden_size = 1024;
  c.num_hidden_layers = 24;
  c.num_attention_heads = 16;
  c.intermediate_size = 4096;
  c.conv_bias = true;
  c.feat_extract_norm = "layer";
  c.do_stable_layer_norm = true;
  return c;
}

Config hubert_xlarge() {
  Config c = hubert_large();
  c.name = "hubert-xlarge";
  c.hidden_size = 1280;
  c.num_hidden_layers = 48;
  c.intermediate_size = 5120;
  return c;
}

Config preset(const std::string& name) {
  if (name == "hubert-base" || name == "base") return hubert_base();
  if (name == "hubert-large" || name == "large") return hubert_large();
  if (name == "hubert-xlarge" || name == "xlarge") return hubert_xlarge();
  throw InputError("unknown hubert preset '" + name +
                   "' (expected hubert-base, hubert-large or hubert-xlarge)");
}

Config from_hf_json(const nlohmann::json& json, const std::string& source) {
  weights::check_model_type(json, "hubert", source);
  Config c;
  weights::read_hf_field(json, "hidden_size", c.hidden_size, source);
  weights::read_hf_field(json, "num_hidden_layers", c.num_hidden_layers, source);
  weights::read_hf_field(json, "num_attention_heads", c.num_attention_heads, source);
  weights::read_hf_field(json, "intermediate_size", c.intermediate_size, source);
  weights::read_hf_field(json, "hidden_act", c.hidden_act, source);
  weights::read_hf_field(json, "layer_norm_eps", c.layer_norm_eps, source);
  weights::read_hf_field(json, "conv_dim", c.conv_dim, source);
  weights::read_hf_field(json, "conv_stride", c.conv_stride, source);
  weights::read_hf_field(json, "conv_kernel", c.conv_kernel, source);
  weights::read_hf_field(json, "conv_bias", c.conv_bias, source);
  weights::read_hf_field(json, "feat_extract_norm", c.feat_extract_norm, source);
  weights::read_hf_field(json, "feat_extract_activation", c.feat_extract_activation, source);
  weights::read_hf_field(json, "feat_proj_layer_norm", c.feat_proj_layer_norm, source);
  weights::read_hf_field(json, "num_conv_pos_embeddings", c.num_conv_pos_embeddings, source);
  weights::read_hf_field(json, "num_conv_pos_embedding_groups", c.num_conv_pos_embedding_groups, source);
  weights::read_hf_field(json, "do_stable_layer_norm", c.do_stable_layer_norm, source);
  int64_t num_feat_extract_layers = static_cast<int64_t>(c.conv_dim.size());
  weights::read_hf_field(json, "num_feat_extract_layers", num_feat_extract_layers, source);
  if (num_feat_extract_layers != static_cast<int64_t>(c.conv_dim.size()))
    throw InputError(source + ": num_feat_extract_layers " + std::to_string(num_feat_extract_layers) +
                     " disagrees with conv_dim's " + std::to_string(c.conv_dim.size()) + " entries");
  bool conv_pos_batch_norm = false;
  weights::read_hf_field(json, "conv_pos_batch_norm", conv_pos_batch_norm, source);
  if (conv_pos_batch_norm) throw InputError(source + ": conv_pos_batch_norm=true is not supported");
  for (const Config& p : {hubert_base(), hubert_large(), hubert_xlarge()})
    if (p.hidden_size == c.hidden_size && p.num_hidden_layers == c.num_hidden_layers &&
        p.conv_dim == c.conv_dim && p.do_stable_layer_norm == c.do_stable_layer_norm)
      c.name = p.name;
  try {
    c.validate();
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
  return c;
}

}  // namespace softprompt::models::hubert
