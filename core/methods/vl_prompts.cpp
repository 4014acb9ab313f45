#include "core/methods/vl_prompts.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "core/methods/projected_prompt.h"
#include "core/methods/prompt_bank.h"
#include "core/methods/soft_prompt.h"

namespace softprompt::core::methods {
namespace {

// CoOp and MaPLe draw new prompts from N(0, 0.02^2); a uniform with the same standard deviation.
const double kStd002Range = 0.02 * std::sqrt(3.0);

// Seeds of the separate prompts of one method, so that adding a depth does not change the others.
constexpr uint64_t kTextDeepSeed = 1000, kVisionSeed = 2000, kMetaSeed = 3000, kProjSeed = 4000;

SoftPrompt uniform_prompt(int64_t tokens, int64_t dim, double range, uint64_t seed) {
  SoftPromptOptions o;
  o.num_tokens = tokens;
  o.dim = dim;
  o.init = PromptInit::kRandomUniform;
  o.init_range = range;
  o.seed = seed;
  return SoftPrompt(o);
}

// The text context: one [M,Dt] prompt, or (class-specific) a bank of one per class.
std::shared_ptr<core::PromptSourceImpl> text_context(const VlPromptOptions& o, const VlDims& dims,
                                                     const VlInitInputs& init,
                                                     const std::vector<std::string>& class_names) {
  SoftPromptOptions so;
  so.num_tokens = o.n_ctx;
  so.dim = dims.text_dim;
  so.seed = o.seed;
  if (o.ctx_init.empty()) {
    so.init_range = kStd002Range;
  } else {
    so.init = PromptInit::kText;
    so.init_text = o.ctx_init;
  }
  PromptInitInputs in;
  in.embedding = init.token_embedding;
  in.text_ids = init.ctx_init_ids;
  if (!o.class_specific) return SoftPrompt(so, in).ptr();
  if (class_names.empty()) throw InputError("class-specific context needs the class names");
  std::vector<at::Tensor> contexts;
  for (size_t k = 0; k < class_names.size(); ++k) {
    so.seed = o.seed + k;  // random init: a different draw per class; text init: the same words for all
    contexts.push_back(initial_prompt(so, in));
  }
  return PromptBank(class_names, contexts).ptr();
}

int64_t default_depth(const VlPromptOptions& o, const VlDims& dims) {
  if (o.method == VlMethod::kVptShallow || o.method == VlMethod::kCoOp || o.method == VlMethod::kCoCoOp)
    return 1;
  if (o.depth > 0) return o.depth;
  if (o.method == VlMethod::kVptDeep) return dims.vision_layers;
  return std::min<int64_t>(9, std::min(dims.text_layers, dims.vision_layers));
}

// MaPLe / independent V+L: text prompts at layers 1..J-1 and vision prompts at the same depths.
void add_deep_pairs(VlPrompts& out, const VlDims& dims, int64_t depth) {
  const auto& o = out.options;
  for (int64_t i = 1; i < depth; ++i) {
    auto text = uniform_prompt(o.n_ctx, dims.text_dim, kStd002Range, o.seed + kTextDeepSeed + i);
    out.set->add_layer_slot(core::layer_slot(dims.text_modality, i), text.ptr());
    std::shared_ptr<core::PromptSourceImpl> vision;
    if (o.method == VlMethod::kMaPLe)
      vision = ProjectedPrompt(text.ptr(), dims.vision_dim, o.seed + kProjSeed + i).ptr();
    else
      vision =
          uniform_prompt(o.vision_tokens, dims.vision_dim, dims.vision_init_range, o.seed + kVisionSeed + i)
              .ptr();
    out.set->add_layer_slot(core::layer_slot(dims.vision_modality, i), vision);
  }
}

}  // namespace

VlMethod parse_vl_method(const std::string& name) {
  for (auto m : {VlMethod::kCoOp, VlMethod::kCoCoOp, VlMethod::kVptShallow, VlMethod::kVptDeep,
                 VlMethod::kMaPLe, VlMethod::kIvlp})
    if (to_string(m) == name) return m;
  throw InputError("unknown vision-language prompt method '" + name +
                   "' (expected coop, cocoop, vpt_shallow, vpt_deep, maple or ivlp)");
}

std::string to_string(VlMethod method) {
  switch (method) {
    case VlMethod::kCoOp:
      return "coop";
    case VlMethod::kCoCoOp:
      return "cocoop";
    case VlMethod::kVptShallow:
      return "vpt_shallow";
    case VlMethod::kVptDeep:
      return "vpt_deep";
    case VlMethod::kMaPLe:
      return "maple";
    case VlMethod::kIvlp:
      return "ivlp";
  }
  return "coop";
}

ClassPosition parse_class_position(const std::string& name) {
  if (name == "end") return ClassPosition::kEnd;
  if (name == "middle") return ClassPosition::kMiddle;
  if (name == "front") return ClassPosition::kFront;
  throw InputError("unknown class token position '" + name + "' (expected end, middle or front)");
}

std::string to_string(ClassPosition position) {
  switch (position) {
    case ClassPosition::kMiddle:
      return "middle";
    case ClassPosition::kFront:
      return "front";
    case ClassPosition::kEnd:
      break;
  }
  return "end";
}

void VlPromptOptions::validate() const {
  if (n_ctx < 1) throw InputError("n_ctx must be >= 1, got " + std::to_string(n_ctx));
  if (class_position == ClassPosition::kMiddle && n_ctx < 2)
    throw InputError("class token position 'middle' needs n_ctx >= 2, got " + std::to_string(n_ctx));
  if (class_specific && method != VlMethod::kCoOp)
    throw InputError("class-specific context is a CoOp option; method '" + to_string(method) +
                     "' has one context");
  if (vision_tokens < 1) throw InputError("vision_tokens must be >= 1, got " + std::to_string(vision_tokens));
  if (depth < 0) throw InputError("depth must be >= 0, got " + std::to_string(depth));
  if (meta_hidden < 0) throw InputError("meta_hidden must be >= 0, got " + std::to_string(meta_hidden));
}

VlPrompts build_vl_prompts(const VlPromptOptions& options, const VlDims& dims, const VlInitInputs& init,
                           const std::vector<std::string>& class_names) {
  options.validate();
  VlPrompts out;
  out.options = options;
  out.set = core::PromptSet();
  out.text_slot = core::input_slot(dims.text_modality);
  const VlMethod m = options.method;
  const int64_t depth = default_depth(options, dims);
  if (depth > std::min(dims.vision_layers, m == VlMethod::kVptDeep ? dims.vision_layers : dims.text_layers))
    throw InputError("depth " + std::to_string(depth) + " exceeds the backbone's layers");
  out.text_prompts = m != VlMethod::kVptShallow && m != VlMethod::kVptDeep;
  out.vision_prompts = m != VlMethod::kCoOp && m != VlMethod::kCoCoOp;
  core::InsertAt after_class_token;  // VPT: [CLS, prompts, patches]
  after_class_token.offset = 1;
  if (!out.text_prompts) {
    out.text_template = core::Template::parse(options.text_template);
    out.set->add_insert_slot(dims.vision_modality,
                             uniform_prompt(options.vision_tokens, dims.vision_dim, dims.vision_init_range,
                                            options.seed + kVisionSeed)
                                 .ptr(),
                             after_class_token);
    for (int64_t i = 1; i < depth; ++i)
      out.set->add_layer_slot(core::layer_slot(dims.vision_modality, i),
                              uniform_prompt(options.vision_tokens, dims.vision_dim, dims.vision_init_range,
                                             options.seed + kVisionSeed + i)
                                  .ptr());
    return out;
  }
  out.text_template = core::Template::class_token(options.n_ctx, options.class_position, "class");
  auto context = text_context(options, dims, init, class_names);
  out.class_prompts = context->num_prompts();
  std::shared_ptr<core::PromptSourceImpl> text_input = context;
  if (m == VlMethod::kCoCoOp) {
    ConditionalPromptOptions co;
    co.condition_dim = dims.feature_dim;
    co.hidden = options.meta_hidden;
    co.seed = options.seed + kMetaSeed;
    out.conditional = ConditionalPrompt(context, co);
    text_input = out.conditional.ptr();
  }
  out.set->add_template_slot(dims.text_modality, text_input);
  if (m == VlMethod::kMaPLe)
    out.set->add_insert_slot(dims.vision_modality,
                             ProjectedPrompt(context, dims.vision_dim, options.seed + kProjSeed).ptr(),
                             after_class_token);
  if (m == VlMethod::kIvlp)
    out.set->add_insert_slot(dims.vision_modality,
                             uniform_prompt(options.vision_tokens, dims.vision_dim, dims.vision_init_range,
                                            options.seed + kVisionSeed)
                                 .ptr(),
                             after_class_token);
  if (m == VlMethod::kMaPLe || m == VlMethod::kIvlp) add_deep_pairs(out, dims, depth);
  return out;
}

core::io::TensorMap vl_prompt_tensors(const VlPrompts& prompts) {
  core::io::TensorMap out;
  for (const auto& p : prompts.set->named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : prompts.set->named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

}  // namespace softprompt::core::methods
