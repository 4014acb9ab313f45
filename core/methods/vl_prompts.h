#pragma once
// Prompt learning for two-tower vision-language models (CLIP-like), every method one core::PromptSet over the
// towers' slots; placement is core's (Template::class_token for the class-token position, insert_prompts for
// vision prompts after the class token, replace_prompts at layer slots). Nothing here knows CLIP: the caller
// gives the widths and depths (models/clip/prompt_classifier.h does for CLIP).
//
//   coop       CoOp (Zhou et al. 2022): M context vectors in the text template, unified or class-specific
//              (a PromptBank with one context per class, selected per class row); class token
//              end/middle/front.
//   cocoop     CoCoOp (Zhou et al. 2022b): CoOp's unified context + a meta-net bias from the image feature.
//   vpt_shallow, vpt_deep   VPT (Jia et al. 2022): vision prompts after the class token; deep: new prompts
//              at every layer up to `depth`. The text side is the hand-written template.
//   maple      MaPLe (Khattak et al. 2023): text context at the input and text prompts at layers 1..J-1;
//              the vision prompts at the same depths are linear projections of the text prompts.
//   ivlp       independent vision + language prompts: both towers to depth J, no coupling.
//
// Usage (CLIP; see models/clip/prompt_classifier.h for the classifier that runs it):
//   core::methods::VlPromptOptions o;  o.method = VlMethod::kCoOp;  o.n_ctx = 4;  o.ctx_init = "a photo of
//   a"; auto prompts = models::clip::make_vl_prompts(model, o, tokenize, class_names);
//   models::clip::ClipPromptClassifier clf(model, prompts, tokenize, specials);
//   clf.set_classes(class_names);  auto logits = clf.logits(pixel_values, image_ids);   // [B,K]
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/methods/conditional_prompt.h"
#include "core/prompt_set.h"
#include "core/template.h"

namespace softprompt::core::methods {

enum class VlMethod { kCoOp, kCoCoOp, kVptShallow, kVptDeep, kMaPLe, kIvlp };
// "coop" | "cocoop" | "vpt_shallow" | "vpt_deep" | "maple" | "ivlp"; throws InputError naming the value.
VlMethod parse_vl_method(const std::string& name);
std::string to_string(VlMethod method);
// "end" | "middle" | "front".
ClassPosition parse_class_position(const std::string& name);
std::string to_string(ClassPosition position);

struct VlPromptOptions {
  VlMethod method = VlMethod::kCoOp;
  int64_t n_ctx = 4;  // M text context vectors (CoOp 16 random or 4 from text; MaPLe 2)
  ClassPosition class_position = ClassPosition::kEnd;  // CoOp's class token position
  bool class_specific = false;                         // CoOp's CSC: one context per class (coop only)
  std::string ctx_init = "a photo of a";  // text init of the context ("" = random, std 0.02 as CoOp)
  int64_t vision_tokens = 8;              // VPT / ivlp prompts per layer (MaPLe: n_ctx, projected)
  int64_t depth = 0;                      // prompted layers 0..depth-1; 0 = method default (VPT-deep: all,
                                          // maple/ivlp: min(9, layers) as MaPLe's J = 9 on 12 layers)
  int64_t meta_hidden = 0;                // CoCoOp bottleneck; 0 = feature_dim / 16
  std::string text_template = "a photo of a {class}.";  // text side of VPT (no text prompts)
  uint64_t seed = 0;
  void validate() const;  // throws InputError naming the bad option
};

// What the builder needs to know of the backbone.
struct VlDims {
  int64_t text_dim = 0, vision_dim = 0;  // hidden widths at the slots
  int64_t text_layers = 0, vision_layers = 0;
  int64_t feature_dim = 0;       // joint space width: CoCoOp's meta-net input
  double vision_init_range = 0;  // VPT's xavier-uniform bound sqrt(6 / (3 * patch^2 + D))
  std::string text_modality = "text", vision_modality = "vision";
};

struct VlInitInputs {
  at::Tensor token_embedding;         // [V,Dt] frozen text token embeddings (ctx_init)
  std::vector<int64_t> ctx_init_ids;  // tokens of options.ctx_init, no specials
};

// A built method: the prompt set, the text template the class names go into, and what it touches.
struct VlPrompts {
  VlPromptOptions options;
  core::PromptSet set{nullptr};
  core::Template text_template;
  ConditionalPrompt conditional{nullptr};  // cocoop: set_condition(image features, K) before each forward
  bool text_prompts = false;               // prompts enter the text tower
  bool vision_prompts = false;             // prompts enter the image tower (else image features are frozen)
  int64_t class_prompts = 1;               // class-specific: the number of classes (one context each)
  std::string text_slot;                   // the text input slot the template's placement is for
};

// Builds `options.method`. class_names: the classes a class-specific context is made for (else unused).
VlPrompts build_vl_prompts(const VlPromptOptions& options, const VlDims& dims, const VlInitInputs& init,
                           const std::vector<std::string>& class_names = {});

// The prompt set's parameters and buffers by stable name (each once): what an artifact stores and
// models::weights::load_strict expects back. Trainers take the ones that require grad.
core::io::TensorMap vl_prompt_tensors(const VlPrompts& prompts);

}  // namespace softprompt::core::methods
