#pragma once
// What every backbone answers (DESIGN.md, "Backbones"): embed(ids), forward(SlotInput, injector) -> hidden
// states, its slot list and hidden_size(). Families implement it next to torch::nn::Module.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/slots.h"

namespace softprompt::models {

struct ForwardOptions {
  bool output_hidden_states = false;  // fill BackboneOutput::hidden_states (HF's convention for each family)
  at::Tensor position_ids;            // optional explicit [B,T]; default: derived from the mask
};

struct BackboneOutput {
  at::Tensor last_hidden_state;            // [B,T',D] (T' includes inserted prompt positions)
  std::vector<at::Tensor> hidden_states;   // when requested
  at::Tensor mask;                         // [B,T'] the mask after injection
};

class Backbone {
 public:
  virtual ~Backbone() = default;
  // ids [B,T] int64 -> [B,T,D] embeddings at the input slot (before anything the model adds inside).
  virtual at::Tensor embed(const at::Tensor& ids) = 0;
  // Runs the model from the input slot. x.embeds [B,T,D], x.mask [B,T] -> hidden states.
  virtual BackboneOutput forward_slots(core::SlotInput x, core::PromptInjector& prompts,
                                       const ForwardOptions& options = {}) = 0;
  virtual std::vector<std::string> slots() const = 0;
  virtual int64_t hidden_size() const = 0;
  virtual int64_t num_layers() const = 0;
  // Identifies the weights (family/preset + content hash) for artifacts.
  virtual std::string backbone_id() const = 0;
};

// A backbone with a language-model head over a vocabulary (GPT-2, the unit LM).
class LanguageModel : public Backbone {
 public:
  // hidden [...,D] -> logits [...,K] for the vocabulary ids `token_ids` [K] only (a verbalizer's label words),
  // or [...,V] for the whole vocabulary when token_ids is undefined.
  virtual at::Tensor lm_logits(const at::Tensor& hidden, const at::Tensor& token_ids = {}) = 0;
  virtual int64_t vocab_size() const = 0;
};

}  // namespace softprompt::models
