#pragma once
// Shared by the tests/clip suites: fixture paths, the fixture-named outputs of a full CLIP forward, and a
// tiny prompt injector (insert trainable vectors at one position of one slot) that stands in for PromptSet.
#include <torch/torch.h>

#include <map>
#include <string>

#include "core/io/safetensors.h"
#include "core/placement.h"
#include "core/slots.h"
#include "models/clip/load.h"

namespace softprompt::test {

inline std::string fixture(const std::string& rel) { return std::string(SOFTPROMPT_TEST_FIXTURES) + "/" + rel; }

// The fixture's output names for model(pixel_values, input_ids) at full text length (HF semantics).
inline core::io::TensorMap clip_outputs(models::clip::ClipModel& model, const at::Tensor& pixel_values,
                                        const at::Tensor& input_ids) {
  torch::NoGradGuard no_grad;
  core::NoPrompts none;
  models::clip::TextOptions opt;
  opt.truncate = false;
  auto o = model->forward(pixel_values, input_ids, none, opt);
  return {{"logits_per_image", o.logits_per_image},
          {"logits_per_text", o.logits_per_text},
          {"image_embeds", o.image_embeds},
          {"text_embeds", o.text_embeds},
          {"image_features", o.image_features},
          {"text_features", o.text_features},
          {"vision_pooler_output", o.vision.pooled},
          {"vision_last_hidden_state", o.vision.last_hidden_state},
          {"text_pooler_output", o.text.pooled},
          {"text_last_hidden_state", o.text.last_hidden_state}};
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// A one-slot test injector over core/placement: inserts `prompt` [P,D] (shared by every row) at `offset`
// after each row's first real token of an input slot (core::insert_prompts), or at a layer slot replaces
// positions offset..offset+P-1 (core::replace_prompts). Other slots: identity. (PromptSet does the same
// for real methods; this keeps the model tests independent of it.)
class OnePrompt : public core::PromptInjector {
 public:
  // prompt_mask [P] (optional): 0 marks a padded prompt position (a shorter prompt of a per-sample bank).
  OnePrompt(std::string slot, at::Tensor prompt, int64_t offset, at::Tensor prompt_mask = {})
      : slot_(std::move(slot)), prompt_(std::move(prompt)), offset_(offset), mask_(std::move(prompt_mask)) {}
  core::SlotInput at_slot(const std::string& slot, core::SlotInput x) override {
    if (slot != slot_) return x;
    const int64_t b = x.embeds.size(0), p = prompt_.size(0);
    auto prompts = prompt_.unsqueeze(0).expand({b, p, prompt_.size(1)});
    if (core::parse_slot(slot).kind == core::SlotKind::kLayer) {
      auto pos = (torch::arange(p) + offset_).unsqueeze(0).expand({b, p});
      return core::replace_prompts(x, core::soft_index_from_positions(pos, x.embeds.size(1)), prompts);
    }
    core::InsertAt at;
    at.offset = offset_;
    auto mask = mask_.defined() ? mask_.unsqueeze(0).expand({b, p}) : at::Tensor();
    return core::insert_prompts(x, prompts, mask, at).x;
  }
  std::optional<core::KV> kv_at(const std::string&, int64_t) override { return std::nullopt; }

 private:
  std::string slot_;
  at::Tensor prompt_;
  int64_t offset_;
  at::Tensor mask_;
};

}  // namespace softprompt::test
