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
#include "recipes/common/method_factory.h"
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

// c.method attached to bb (prompt_tuning: a soft prompt for the template's {soft:N}, initialised by
// prompt.init). full_ft, LoRA and adapters change bb itself: use a freshly loaded backbone per run.
std::shared_ptr<MethodParts> make_method(const Config& c, Backbone& bb, uint64_t seed);
// The classifier for `prompt_template` training `method`; no method = the frozen zero-shot classifier.
std::unique_ptr<PromptClassifierTask> make_task(const Config& c, const Backbone& bb, const Data& data,
                                                std::shared_ptr<MethodParts> method,
                                                const std::string& prompt_template);

}  // namespace softprompt::recipes::sentiment
