#include "core/artifact_manifest.h"

#include <iomanip>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "core/slots.h"

namespace softprompt::core {
namespace {
using json = nlohmann::json;

const std::set<std::string> kKeys = {"format",         "format_version", "softprompt_version",
                                     "created_at",     "save_id",        "method",
                                     "method_options", "slots",          "backbone",
                                     "tokenizer",      "template",       "labels",
                                     "verbalizer",     "metrics",        "tensors",
                                     "tensors_file",   "config_file",    "extra"};

// Typed access to one manifest's keys; every error names the file and the key.
class Fields {
 public:
  Fields(const json& j, std::string label) : j_(j), label_(std::move(label)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw InputError(label_ + ": manifest key '" + key + "' " + why);
  }
  const json* get(const std::string& key, bool required) const {
    if (!j_.contains(key)) {
      if (required) fail(key, "is missing");
      return nullptr;
    }
    return &j_.at(key);
  }
  std::string string(const std::string& key, bool required = false) const {
    const json* v = get(key, required);
    if (!v) return "";
    if (!v->is_string()) fail(key, "must be a string, got " + v->dump());
    return v->get<std::string>();
  }
  json object(const std::string& key) const {
    const json* v = get(key, false);
    if (!v) return json::object();
    if (!v->is_object()) fail(key, "must be an object, got " + v->dump());
    return *v;
  }
  std::vector<std::string> strings(const std::string& key, bool required = false) const {
    const json* v = get(key, required);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) fail(key, "must be a list of strings, got " + v->dump());
    for (const auto& e : *v) {
      if (!e.is_string()) fail(key, "must be a list of strings, got element " + e.dump());
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  int64_t count(const json& parent, const std::string& key, const std::string& path) const {
    if (!parent.contains(key)) return 0;
    const auto& v = parent.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      fail(path, "must be a non-negative integer, got " + v.dump());
    return v.get<int64_t>();
  }
  const std::string& label() const { return label_; }

 private:
  const json& j_;
  std::string label_;
};

TensorSpec tensor_spec(const Fields& f, const std::string& name, const json& v) {
  const std::string key = "tensors." + name;
  if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.at("dtype").is_string() ||
      !v.at("shape").is_array())
    f.fail(key, "must be {\"dtype\": string, \"shape\": [int, ...]}, got " + v.dump());
  TensorSpec spec;
  spec.dtype = v.at("dtype").get<std::string>();
  try {
    io::scalar_type_from_safetensors(spec.dtype);
  } catch (const InputError&) {
    f.fail(key, "has unknown dtype '" + spec.dtype + "'");
  }
  for (const auto& d : v.at("shape")) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      f.fail(key, "has a bad shape " + v.at("shape").dump());
    spec.shape.push_back(d.get<int64_t>());
  }
  return spec;
}

void check_format(const Fields& f, const json& j) {
  const std::string format = f.string("format", true);
  if (format != kArtifactFormat) f.fail("format", "is '" + format + "', expected '" + kArtifactFormat + "'");
  const json* v = f.get("format_version", true);
  if (!v->is_number_integer()) f.fail("format_version", "must be an integer, got " + v->dump());
  const int64_t version = v->get<int64_t>();
  if (version != kArtifactFormatVersion)
    throw InputError(f.label() + ": artifact format version " + std::to_string(version) +
                     " is not supported (this softprompt " + kSoftpromptVersion + " reads version " +
                     std::to_string(kArtifactFormatVersion) + ")" +
                     (version > kArtifactFormatVersion ? "; it was written by a newer softprompt" : ""));
  for (const auto& [key, _] : j.items())
    if (!kKeys.count(key)) f.fail(key, "is unknown (a recipe's own data belongs under \"extra\")");
}

BackboneInfo backbone_info(const Fields& f) {
  const json b = f.object("backbone");
  BackboneInfo out;
  for (const char* key : {"id", "weights_hash"}) {
    if (b.contains(key) && !b.at(key).is_string())
      f.fail(std::string("backbone.") + key, "must be a string, got " + b.at(key).dump());
  }
  out.id = b.value("id", "");
  out.weights_hash = b.value("weights_hash", "");
  out.hidden_size = f.count(b, "hidden_size", "backbone.hidden_size");
  out.num_layers = f.count(b, "num_layers", "backbone.num_layers");
  out.num_attention_heads = f.count(b, "num_attention_heads", "backbone.num_attention_heads");
  return out;
}

}  // namespace

json manifest_to_json(const Manifest& m) {
  json tensors = json::object();
  for (const auto& [name, spec] : m.tensors) tensors[name] = {{"dtype", spec.dtype}, {"shape", spec.shape}};
  json j = {{"format", kArtifactFormat},
            {"format_version", m.format_version},
            {"softprompt_version", m.softprompt_version},
            {"created_at", m.created_at},
            {"save_id", m.save_id},
            {"method", m.method},
            {"method_options", m.method_options},
            {"slots", m.slots},
            {"backbone",
             {{"id", m.backbone.id},
              {"weights_hash", m.backbone.weights_hash},
              {"hidden_size", m.backbone.hidden_size},
              {"num_layers", m.backbone.num_layers},
              {"num_attention_heads", m.backbone.num_attention_heads}}},
            {"tokenizer", m.tokenizer},
            {"template", m.prompt_template},
            {"labels", m.labels},
            {"verbalizer", m.verbalizer},
            {"metrics", m.metrics},
            {"tensors", tensors},
            {"tensors_file", m.tensors_file},
            {"extra", m.extra}};
  if (!m.config_file.empty()) j["config_file"] = m.config_file;
  return j;
}

Manifest manifest_from_json(const json& j, const std::string& label) {
  if (!j.is_object()) throw InputError(label + ": a manifest must be a JSON object");
  const Fields f(j, label);
  check_format(f, j);
  Manifest m;
  m.softprompt_version = f.string("softprompt_version");
  m.created_at = f.string("created_at");
  m.save_id = f.string("save_id");
  m.method = f.string("method", true);
  if (m.method.empty()) f.fail("method", "is empty");
  m.method_options = f.object("method_options");
  m.slots = f.strings("slots", true);
  for (const auto& s : m.slots) {
    try {
      parse_slot(s);
    } catch (const std::invalid_argument& e) {
      f.fail("slots", e.what());
    }
  }
  m.backbone = backbone_info(f);
  m.tokenizer = f.string("tokenizer");
  m.prompt_template = f.string("template");
  m.labels = f.strings("labels");
  m.verbalizer = f.object("verbalizer");
  m.metrics = f.object("metrics");
  for (const auto& [name, v] : m.metrics.items())
    if (!v.is_number() && !v.is_null()) f.fail("metrics." + name, "must be a number, got " + v.dump());
  const json tensors = f.object("tensors");
  if (!j.contains("tensors") || tensors.empty()) f.fail("tensors", "must name at least one tensor");
  for (const auto& [name, v] : tensors.items()) m.tensors[name] = tensor_spec(f, name, v);
  m.tensors_file = f.string("tensors_file");
  m.config_file = f.string("config_file");
  m.extra = f.object("extra");
  return m;
}

Manifest manifest_from_text(const std::string& text, const std::string& label) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(label + ": the manifest is not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  return manifest_from_json(j, label);
}

std::string describe_manifest(const Manifest& m) {
  std::ostringstream out;
  auto row = [&](const std::string& name, const std::string& value) {
    if (!value.empty()) out << std::left << std::setw(12) << name << value << "\n";
  };
  nlohmann::json options = m.method_options;
  const bool from_peft = options.contains("peft_config");
  options.erase("peft_config");  // the imported adapter's config: kept for re-export, too long for the table
  row("method", m.method + (options.empty() ? "" : " " + options.dump()) +
                    (from_peft ? " (PEFT adapter config kept)" : ""));
  std::string slots;
  for (const auto& s : m.slots) slots += (slots.empty() ? "" : ", ") + s;
  row("slots", slots);
  const auto& b = m.backbone;
  std::string backbone = b.id.empty() ? "(unknown)" : b.id;
  if (!b.weights_hash.empty()) backbone += ", weights " + b.weights_hash;
  if (b.hidden_size) backbone += ", hidden " + std::to_string(b.hidden_size);
  if (b.num_layers) backbone += ", " + std::to_string(b.num_layers) + " layers";
  if (b.num_attention_heads) backbone += ", " + std::to_string(b.num_attention_heads) + " heads";
  row("backbone", backbone);
  row("tokenizer", m.tokenizer);
  row("template", m.prompt_template);
  std::string labels;
  for (const auto& l : m.labels) labels += (labels.empty() ? "" : ", ") + l;
  row("labels", labels);
  if (!m.verbalizer.empty()) row("verbalizer", m.verbalizer.dump());
  std::string metrics;
  for (const auto& [k, v] : m.metrics.items()) metrics += (metrics.empty() ? "" : ", ") + k + "=" + v.dump();
  row("metrics", metrics);
  int64_t params = 0;
  bool first = true;
  for (const auto& [name, spec] : m.tensors) {
    std::string shape;
    int64_t n = 1;
    for (auto d : spec.shape) {
      shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      n *= d;
    }
    params += n;
    row(first ? "tensors" : " ", name + "  " + spec.dtype + " [" + shape + "]");
    first = false;
  }
  row("parameters", std::to_string(params));
  row("created", m.created_at + " by softprompt " + m.softprompt_version + " (format " +
                     std::to_string(m.format_version) + ")");
  row("files", m.tensors_file + (m.config_file.empty() ? "" : ", " + m.config_file));
  if (!m.extra.empty()) row("extra", m.extra.dump());
  return out.str();
}

}  // namespace softprompt::core
