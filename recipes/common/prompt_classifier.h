#pragma once
// Classification with a frozen causal LM and a verbalizer (Schick & Schütze 2021 "PET" for the template +
// label words; Lester et al. 2021 for the soft prompt): each example is placed into a template such as
// "{soft:20} {text} It was {mask}", and only the label words' logits at the position before {mask} are
// computed (never the full vocabulary). With no {soft} in the template this is the zero-shot baseline.
// Used by the sentiment recipe on text and by the speech recipes on unit sequences.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/placement.h"
#include "core/prompt_set.h"
#include "core/template.h"
#include "core/trainer/task.h"
#include "models/backbone.h"
#include "recipes/common/method_factory.h"

namespace softprompt::recipes {

struct ClassifierExample {
  std::string text;  // the {text} field
  int64_t label = 0; // index into the label list
};

struct PromptClassifierOptions {
  std::string prompt_template;                  // must contain {mask}; may contain {soft:N}
  std::vector<int64_t> label_token_ids;         // [K] one vocabulary id per class (its label word)
  std::string input_slot = "text";              // the input slot the template's {soft} fills (unit LM: "units")
  core::PlaceOptions place;                     // padding, max length, bos/eos, pad id (causal = true)
  int64_t eval_batch = 64;
};

class PromptClassifierTask : public core::trainer::Task {
 public:
  // `model` is frozen; `prompts` holds the trainable prompt (its options.input_slot set up as a template slot,
  // optionally key/value slots) or is empty for the zero-shot baseline. `tokenize` turns text into ids (the
  // backbone's tokenizer).
  PromptClassifierTask(std::shared_ptr<models::LanguageModel> model, torch::nn::Module* model_module,
                       core::PromptSet prompts, core::Tokenize tokenize, PromptClassifierOptions options);

  void set_split(const std::string& name, std::vector<ClassifierExample> examples);
  int64_t train_size() const override;
  core::trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  // metrics: accuracy, macro_f1, loss; predictions and labels for the confusion matrix.
  core::trainer::EvalResult evaluate(const std::string& split) override;
  core::io::TensorMap trainable_parameters() override;
  void set_training(bool training) override;

  // Trains `method` (recipes/common/method_factory.h) instead of the constructor's prompt set: its prompts,
  // and its head (linear probe) in place of the verbalizer. With frozen features (nothing before the head
  // trains) the pooled hidden state of each distinct text is computed once and cached.
  void set_method(std::shared_ptr<MethodParts> method);

  // Class logits [N,K] of texts (no grad), in batches.
  at::Tensor predict(const std::vector<std::string>& texts);
  // Class logits [B,K] of one batch of texts (with grad when enabled).
  at::Tensor logits(const std::vector<std::string>& texts);

  const core::Template& prompt_template() const { return template_; }

 private:
  at::Tensor pooled(const std::vector<std::string>& texts);         // [B,D] hidden state at the read position
  at::Tensor pooled_cached(const std::vector<std::string>& texts);  // the same, from / into feature_cache_
  std::shared_ptr<models::LanguageModel> model_;
  torch::nn::Module* model_module_;
  core::PromptSet prompts_;
  core::Tokenize tokenize_;
  PromptClassifierOptions options_;
  core::Template template_;
  at::Tensor label_ids_;
  std::map<std::string, std::vector<ClassifierExample>> splits_;
  std::shared_ptr<MethodParts> method_;
  std::unordered_map<std::string, at::Tensor> feature_cache_;  // text -> [D], only with frozen features
};

}  // namespace softprompt::recipes
