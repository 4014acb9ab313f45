#include "recipes/common/speech_classifier.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "core/errors.h"
#include "models/unit_lm/model.h"
#include "models/weights/strict_loader.h"
#include "recipes/common/method_factory.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/speech_data.h"
#include "recipes/common/unit_encoder.h"

namespace fs = std::filesystem;

namespace softprompt::recipes::speech_classifier {
namespace {

SpeechSplits list_corpus(const Config& c, std::string& dir) {
  const bool kws = c.corpus == Corpus::kSpeechCommands;
  dir = c.data_dir.empty() ? cache_dir() + (kws ? "/data/synthetic_kws" : "/data/synthetic_intents") : c.data_dir;
  if (!fs::is_directory(dir))
    throw IoError("corpus folder '" + dir + "' does not exist" +
                  (c.data_dir.empty() ? std::string(" (run scripts/make_speech_data.sh ") +
                                            (kws ? "kws" : "intents") + ", or give data.dir=DIR)"
                                      : ""));
  return kws ? read_speech_commands(dir, c.keywords, c.silence_unknown) : read_fluent_speech_commands(dir);
}

std::vector<std::string> class_labels(const Config& c, const SpeechSplits& s) {
  if (c.corpus == Corpus::kSpeechCommands) {
    auto labels = c.keywords;
    if (c.silence_unknown) labels.insert(labels.end(), {kSilenceLabel, kUnknownLabel});
    return labels;
  }
  std::set<std::string> seen;
  for (const auto& e : s.train) seen.insert(e.label);
  return {seen.begin(), seen.end()};
}

std::vector<ClassifierExample> encode_split(const std::string& name, const std::vector<SpeechExample>& clips,
                                            const std::vector<std::string>& labels, const std::vector<std::string>& units) {
  std::vector<ClassifierExample> out;
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto it = std::find(labels.begin(), labels.end(), clips[i].label);
    if (it == labels.end())
      throw InputError(clips[i].path + " (" + name + "): label '" + clips[i].label +
                       "' is not among the verbalizer's labels (the training split's)");
    out.push_back({units[i], it - labels.begin()});
  }
  return out;
}

std::vector<int64_t> parse_units(const std::string& text, int64_t num_units) {
  std::vector<int64_t> ids;
  std::istringstream in(text);
  int64_t u;
  while (in >> u) {
    if (u < 0 || u >= num_units)
      throw InputError("unit " + std::to_string(u) + " is outside the unit LM's " + std::to_string(num_units) +
                       " units");
    ids.push_back(u);
  }
  if (!in.eof()) throw InputError("malformed unit sequence '" + text.substr(0, 40) + "'");
  return ids;
}

}  // namespace

UnitBackbone load_backbone(const std::string& path, const std::string& encoder) {
  UnitBackbone bb;
  bb.path = path.empty() ? cache_dir() + "/starter/unit_lm" : path;
  if (!fs::is_directory(bb.path))
    throw IoError("unit-LM directory '" + bb.path + "' does not exist" +
                  (path.empty() ? " (run pretrain_unit_lm first, or give backbone.path=DIR)" : ""));
  bb.config = models::unit_lm::read_config(bb.path);
  bb.model = models::unit_lm::load_pretrained(bb.path);
  bb.encoder_path = encoder.empty() ? bb.path : encoder;
  auto enc = std::make_shared<UnitEncoder>(UnitEncoder::load(bb.encoder_path));
  if (enc->num_units() != bb.config.num_units)
    throw InputError("unit encoder '" + bb.encoder_path + "' has " + std::to_string(enc->num_units()) +
                     " units but the unit LM '" + bb.path + "' " + std::to_string(bb.config.num_units));
  bb.encode = [enc](const at::Tensor& wave) { return enc->encode(wave); };
  for (const char* f : {"unit_encoder.json", "unit_kmeans.safetensors", "unit_feature_stats.safetensors"})
    bb.encoder_hash += models::weights::file_fingerprint((fs::path(bb.encoder_path) / f).string()).substr(0, 8);
  const auto& mc = bb.model->config();
  bb.info.id = bb.model->backbone_id();
  bb.info.weights_hash = models::weights::file_fingerprint(bb.path + "/model.safetensors");
  bb.info.hidden_size = mc.n_embd;
  bb.info.num_layers = mc.n_layer;
  bb.info.num_attention_heads = mc.n_head;
  return bb;
}

SpeechData load_data(const Config& c, const UnitBackbone& bb) {
  std::string dir;
  const auto splits = list_corpus(c, dir);
  SpeechData d;
  d.labels = class_labels(c, splits);
  if (splits.train.empty() || splits.validation.empty() || splits.test.empty())
    throw InputError(dir + ": every split needs clips (train " + std::to_string(splits.train.size()) +
                     ", validation " + std::to_string(splits.validation.size()) + ", test " +
                     std::to_string(splits.test.size()) + ")");
  UnitCache cache(c.units_cache.empty() ? cache_dir() + "/units" : c.units_cache, bb.encoder_hash);
  const std::string key = fs::absolute(dir).lexically_normal().string();
  auto units = [&](const char* split, const std::vector<SpeechExample>& clips) {
    auto u = cache.units(key + "#" + split, clips, bb.encode);
    std::cout << "[speech] " << split << ": " << clips.size() << " clips (" << cache.hits() << " cached, "
              << cache.encoded() << " encoded)\n";
    return u;
  };
  d.train = encode_split("train", splits.train, d.labels, units("train", splits.train));
  d.dev = encode_split("validation", splits.validation, d.labels, units("validation", splits.validation));
  d.test = encode_split("test", splits.test, d.labels, units("test", splits.test));
  return d;
}

std::vector<int64_t> label_units(const Config& c, const UnitBackbone& bb, const SpeechData& data) {
  const int64_t K = bb.config.num_units, C = static_cast<int64_t>(data.labels.size());
  if (!c.label_units.empty()) {
    if (static_cast<int64_t>(c.label_units.size()) != C)
      throw InputError("verbalizer.units has " + std::to_string(c.label_units.size()) + " units for " +
                       std::to_string(C) + " labels");
    for (auto u : c.label_units)
      if (u < 0 || u >= K) throw InputError("verbalizer unit " + std::to_string(u) + " is not in [0," +
                                            std::to_string(K) + ")");
    return c.label_units;
  }
  if (C > K) throw InputError(std::to_string(C) + " labels but only " + std::to_string(K) + " units");
  std::vector<int64_t> count(K, 0);
  for (const auto& e : data.train)
    for (auto u : parse_units(e.text, K)) ++count[u];
  std::vector<int64_t> order(K);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return count[a] > count[b]; });
  return {order.begin(), order.begin() + C};
}

std::string prompt_template(const Config& c) {
  return c.input_tokens > 0 ? "{soft:" + std::to_string(c.input_tokens) + "}{text}{mask}" : "{text}{mask}";
}

core::methods::SpeechPrompt make_speech_prompt(const Config& c, const UnitBackbone& bb,
                                               const std::vector<int64_t>& units, uint64_t seed) {
  core::methods::SpeechPromptOptions o;
  o.modality = models::unit_lm::kModality;
  o.input.num_tokens = c.input_tokens;
  o.input.dim = bb.model->hidden_size();
  o.input.init = core::methods::parse_prompt_init(c.init);
  o.input.vocab_top_n = bb.config.num_units;  // units only, never the special tokens
  o.input.seed = seed;
  o.deep_tokens = c.deep_tokens;
  o.num_layers = bb.model->num_layers();
  o.verbalizer = core::methods::parse_verbalizer(c.verbalizer);
  o.label_units = units;
  core::methods::SpeechPromptInit init;
  const auto wte = bb.model->wte->weight.detach();
  init.input.embedding = wte;
  init.label_embeddings = bb.model->lm_head_weight().detach().index_select(0, torch::tensor(units).to(wte.device()));
  if (c.deep_init != "activations" && c.deep_init != "random")
    throw InputError("prompt.deep_init must be activations or random, got '" + c.deep_init + "'");
  if (c.deep_tokens > 0 && c.deep_init == "activations") {
    // Keys/values the frozen LM computes for a few sampled units (Li & Liang 2021: real activations).
    torch::NoGradGuard no_grad;
    const auto start = core::methods::init_from_vocab(wte, c.deep_tokens, bb.config.num_units, seed + 1);
    init.deep = bb.model.ptr()->prefix_key_values(start.unsqueeze(0));  // L x [1,P,D]
  }
  return core::methods::SpeechPrompt(o, init);
}

std::unique_ptr<PromptClassifierTask> make_task(const Config& c, const UnitBackbone& bb, const SpeechData& data,
                                                const core::methods::SpeechPrompt& sp) {
  PromptClassifierOptions o;
  o.prompt_template = prompt_template(c);
  o.label_token_ids = sp->options().label_units;
  o.input_slot = models::unit_lm::kModality;
  o.place.pad_id = bb.config.pad_id();
  o.place.bos_ids = {bb.config.bos_id()};  // utterances start after bos, as in pretraining
  o.place.max_length = std::min(c.max_length, bb.config.n_positions);
  o.place.truncate_field = "text";
  o.place.move_spaces = false;
  const int64_t K = bb.config.num_units;
  auto task = std::make_unique<PromptClassifierTask>(
      bb.model.ptr(), bb.model.ptr().get(), sp->prompts, [K](const std::string& s) { return parse_units(s, K); }, o);
  // The learnable verbalizer replaces the label units' LM logits (MethodParts::head); the artifact keys are
  // SpeechPrompt's own ("prompts.*", "verbalizer.linear.*").
  auto parts = std::make_shared<MethodParts>();
  parts->name = "speech_prompt";
  parts->prompts = sp->prompts;
  parts->input_prompt = c.input_tokens > 0;
  if (sp->verbalizer) parts->head = sp->verbalizer->linear;
  parts->modules[""] = sp.ptr();
  parts->backbone_parameters = count_parameters(*bb.model);
  task->set_method(parts);
  task->set_split("train", data.train);
  task->set_split("dev", data.dev);
  task->set_split("test", data.test);
  return task;
}

}  // namespace softprompt::recipes::speech_classifier
