#pragma once
// SpeechPrompt (Chang et al. 2022, "SpeechPrompt: An Exploration of Prompt Tuning on Generative Spoken
// Language Model for Speech Processing Tasks"; v2, Chang et al. 2023): classification with a frozen unit
// language model. Trainable parts:
//  * input prompts: P_in vectors at the model's input slot "<modality>", placed by the task's template
//    (e.g. "{soft:P_in}{text}{mask}", core/placement.h);
//  * deep prompts: P_kv key/value pairs prepended in the attention of every block ("<modality>.kv.i", as in
//    P-tuning v2), served through core::KvPair sources, so no concatenation happens here;
//  * the verbalizer: fixed (class k -> unit label_units[k], scored by the LM head's logit of that unit only) or
//    learnable (LinearVerbalizer initialized from those units' LM-head rows).
// The classifier that reads the hidden state at the read position is recipes/common/prompt_classifier.h; it
// takes `prompts`, `label_ids()` and `verbalizer` from here.
// Nothing here knows units or audio: the modality name is an option, so the same method prompts any causal LM.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/methods/linear_verbalizer.h"
#include "core/methods/soft_prompt.h"
#include "core/prompt_set.h"

namespace softprompt::core::methods {

enum class VerbalizerKind { kFixed, kLearnable };
// "fixed" | "learnable"; throws InputError naming the value.
VerbalizerKind parse_verbalizer(const std::string& name);
std::string to_string(VerbalizerKind kind);

struct SpeechPromptOptions {
  std::string modality = "units";  // input slot "<modality>", key/value slots "<modality>.kv.<i>"
  SoftPromptOptions input;         // the input prompt (input.num_tokens = 0: none); input.dim = D
  int64_t deep_tokens = 0;         // P_kv key/value prompt vectors per block (0: no deep prompts)
  int64_t num_layers = 0;          // blocks of the backbone (deep prompts go into every one)
  double deep_init_std = 0.02;     // N(0, std) for deep prompts without activations to start from
  VerbalizerKind verbalizer = VerbalizerKind::kFixed;
  std::vector<int64_t> label_units;  // [K] class k -> vocabulary id (distinct, K >= 2)
  // Throws InputError naming the offending option.
  void validate() const;
};

// What the data-dependent inits need, prepared by the caller (core knows no model).
struct SpeechPromptInit {
  PromptInitInputs input;          // for options.input.init (embedding matrix, ids)
  // Per block: the keys/values [P_kv,D] the frozen model computes for some real input (Li & Liang 2021 found
  // activations of real tokens a better start than random values); empty: N(0, deep_init_std).
  std::vector<KV> deep;
  at::Tensor label_embeddings;     // [K,D] LM-head rows of label_units (needed for the learnable verbalizer)
};

class SpeechPromptImpl : public torch::nn::Module {
 public:
  // Throws InputError for invalid options or init tensors of the wrong shape.
  SpeechPromptImpl(SpeechPromptOptions options, const SpeechPromptInit& init);

  // The trainable tensors by artifact name ("prompts.<slot source>...", "verbalizer.linear.*"); load_state
  // takes the same map (every name required, shapes checked) and copies it in place.
  core::io::TensorMap trainable_state();
  void load_state(const core::io::TensorMap& tensors, const std::string& source);

  const SpeechPromptOptions& options() const { return options_; }
  const at::Tensor& label_ids() const { return label_ids_; }  // [K] int64

  PromptSet prompts;                  // registered "prompts": the input slot and every key/value slot
  LinearVerbalizer verbalizer{nullptr};  // registered "verbalizer" when learnable

 private:
  void add_deep_prompts(const SpeechPromptInit& init);
  SpeechPromptOptions options_;
  at::Tensor label_ids_;
};
TORCH_MODULE(SpeechPrompt);

}  // namespace softprompt::core::methods
