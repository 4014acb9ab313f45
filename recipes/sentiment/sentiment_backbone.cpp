#include "recipes/sentiment/sentiment_backbone.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "core/methods/soft_prompt.h"
#include "modalities/text/tokenizer_factory.h"
#include "models/gpt2/loader.h"
#include "models/weights/strict_loader.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/text_data.h"

namespace fs = std::filesystem;

namespace softprompt::recipes::sentiment {

Backbone load_backbone(const std::string& path, const std::string& tokenizer) {
  Backbone bb;
  bb.path = path.empty() ? cache_dir() + "/starter/text_lm" : path;
  if (!fs::is_directory(bb.path))
    throw IoError("backbone directory '" + bb.path + "' does not exist" +
                  (path.empty() ? " (run pretrain_lm first, or give backbone.path=DIR)" : ""));
  bb.model = models::gpt2::load_pretrained(bb.path);
  bb.tokenizer_path = tokenizer;
  if (bb.tokenizer_path.empty())
    bb.tokenizer_path = fs::exists(bb.path + "/tokenizer.model") ? bb.path + "/tokenizer.model" : bb.path;
  bb.tokenizer = modalities::text::load_tokenizer(bb.tokenizer_path);
  if (bb.tokenizer->vocab_size() > bb.model->vocab_size())
    throw InputError("tokenizer '" + bb.tokenizer_path + "' has " + std::to_string(bb.tokenizer->vocab_size()) +
                     " tokens but the backbone only " + std::to_string(bb.model->vocab_size()));
  const auto& mc = bb.model->config();
  bb.info.id = bb.model->backbone_id();
  bb.info.weights_hash = models::weights::file_fingerprint(bb.path + "/model.safetensors");
  bb.info.hidden_size = mc.n_embd;
  bb.info.num_layers = mc.n_layer;
  bb.info.num_attention_heads = mc.n_head;
  return bb;
}

namespace {

std::vector<ClassifierExample> to_examples(const std::vector<TextExample>& in, const std::vector<std::string>& labels,
                                           const std::string& where) {
  std::vector<ClassifierExample> out;
  for (const auto& e : in) {
    const auto it = std::find(labels.begin(), labels.end(), e.label);
    if (it == labels.end()) {
      std::string all;
      for (const auto& l : labels) all += (all.empty() ? "" : ", ") + l;
      throw InputError(where + ": label '" + e.label + "' is not one of the verbalizer's labels (" + all + ")");
    }
    out.push_back({e.text, it - labels.begin()});
  }
  return out;
}

}  // namespace

Data load_data(const Config& c) {
  TextSplits s;
  std::string where = c.data_dir;
  if (!c.train_file.empty()) {
    where = c.train_file;
    auto train = read_labelled_text(c.train_file);
    if (c.dev_file.empty() || c.test_file.empty()) {
      s = split_examples(train, 0.7, 0.1, 20240917);
    } else {
      s.train = std::move(train);
    }
    if (!c.dev_file.empty()) s.dev = read_labelled_text(c.dev_file);
    if (!c.test_file.empty()) s.test = read_labelled_text(c.test_file);
  } else {
    if (c.data_dir.empty()) throw InputError("set data.dir (UCI sentiment folder) or data.train_file");
    s = uci_sentiment_splits(c.data_dir);
  }
  if (s.train.empty() || s.dev.empty() || s.test.empty())
    throw InputError(where + ": every split needs examples (train " + std::to_string(s.train.size()) + ", dev " +
                     std::to_string(s.dev.size()) + ", test " + std::to_string(s.test.size()) + ")");
  return {to_examples(s.train, c.labels, where), to_examples(s.dev, c.labels, where),
          to_examples(s.test, c.labels, where)};
}

namespace {

std::vector<int64_t> label_token_ids(const Config& c, const Backbone& bb) {
  if (c.label_words.size() != c.labels.size())
    throw InputError("verbalizer.words has " + std::to_string(c.label_words.size()) + " words for " +
                     std::to_string(c.labels.size()) + " labels");
  std::vector<int64_t> ids;
  for (const auto& w : c.label_words) {
    const auto t = bb.tokenizer->encode(w);
    if (t.size() != 1) {
      std::string pieces;
      for (auto id : t) pieces += (pieces.empty() ? "" : " ") + bb.tokenizer->id_to_token(id);
      throw InputError("label word '" + w + "' is " + std::to_string(t.size()) + " tokens (" + pieces +
                       "); choose words that are one token");
    }
    ids.push_back(t[0]);
  }
  std::set<int64_t> distinct(ids.begin(), ids.end());
  if (distinct.size() != ids.size()) throw InputError("two label words map to the same token");
  return ids;
}

}  // namespace

std::shared_ptr<MethodParts> make_method(const Config& c, Backbone& bb, uint64_t seed) {
  MethodTarget t;
  t.backbone = bb.model.ptr();
  t.api = bb.model.ptr().get();
  t.modality = "text";
  t.num_classes = static_cast<int64_t>(c.labels.size());
  t.num_input_tokens = core::Template::parse(c.prompt_template).num_soft();
  t.init_inputs.embedding = bb.model->wte->weight.detach();
  if (!c.init_text.empty()) t.init_inputs.text_ids = bb.tokenizer->encode(c.init_text);
  for (auto id : label_token_ids(c, bb)) t.init_inputs.label_ids.push_back({id});
  t.prompt_init = {{"init", c.init}, {"init_range", c.init_range},
                   {"vocab_top_n", std::min<int64_t>(c.vocab_top_n, bb.model->vocab_size())},
                   {"init_text", c.init_text}};
  t.seed = static_cast<int64_t>(seed);
  return std::make_shared<MethodParts>(attach_method(c.method, t));
}

std::unique_ptr<PromptClassifierTask> make_task(const Config& c, const Backbone& bb, const Data& data,
                                                std::shared_ptr<MethodParts> method,
                                                const std::string& prompt_template) {
  PromptClassifierOptions o;
  o.prompt_template = prompt_template;
  o.label_token_ids = label_token_ids(c, bb);
  const auto specials = bb.tokenizer->special_tokens();
  const int64_t eos = specials.eos.value_or(bb.model->config().eos_token_id);
  o.place.pad_id = specials.pad.value_or(eos);
  o.place.bos_ids = {eos};  // documents start after an end-of-text token, as in pretraining
  o.place.max_length = std::min(c.max_length, bb.model->config().n_positions);  // the backbone's context
  o.place.truncate_field = "text";
  auto tok = bb.tokenizer;
  auto task = std::make_unique<PromptClassifierTask>(
      bb.model.ptr(), bb.model.ptr().get(), core::PromptSet(),
      [tok](const std::string& s) { return tok->encode(s); }, o);
  if (method) task->set_method(std::move(method));
  task->set_split("train", data.train);
  task->set_split("dev", data.dev);
  task->set_split("test", data.test);
  return task;
}

}  // namespace softprompt::recipes::sentiment
