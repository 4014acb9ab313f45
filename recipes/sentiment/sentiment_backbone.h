#pragma once
// The sentiment recipe's building blocks: the frozen backbone + tokenizer, the data splits, the prompt set
// and the classification task, shared by training and --predict.
#include <memory>
#include <string>
#include <vector>

#include "core/artifact_manifest.h"
#include "core/prompt_set.h"
#include "modalities/text/tokenizer.h"
#include "models/gpt2/model.h"
#include "recipes/common/prompt_classifier.h"
#include "recipes/common/sentiment_config.h"

namespace softprompt::recipes::sentiment {

struct Backbone {
  models::gpt2::Model model{nullptr};
  std::shared_ptr<modalities::text::Tokenizer> tokenizer;
  std::string path, tokenizer_path;
  core::BackboneInfo info;
};
// `path` "" = the starter LM in the cache; `tokenizer` "" = the backbone directory's own. Throws IoError /
// InputError naming the directory when it is missing or unreadable.
Backbone load_backbone(const std::string& path, const std::string& tokenizer);

struct Data {
  std::vector<ClassifierExample> train, dev, test;
};
// UCI sentiment splits from data.dir, or the CSV/JSONL files. A label outside data.labels is an InputError.
Data load_data(const Config& c);

// The trainable prompt for c.prompt_template (empty when it has no {soft}).
core::PromptSet make_prompt_set(const Config& c, const Backbone& bb, uint64_t seed);
void load_prompt_tensors(core::PromptSetImpl& prompts, const core::io::TensorMap& tensors, const std::string& source);
std::unique_ptr<PromptClassifierTask> make_task(const Config& c, const Backbone& bb, const Data& data,
                                                core::PromptSet prompts, const std::string& prompt_template);

}  // namespace softprompt::recipes::sentiment
