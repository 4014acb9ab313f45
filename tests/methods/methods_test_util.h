#pragma once
// What the comparison-method suites share: a tiny frozen random GPT-2 and a method context over it.
#include <torch/torch.h>

#include "core/methods/method.h"
#include "models/gpt2/model.h"
#include "models/weights/strict_loader.h"

namespace softprompt::tests {

inline models::gpt2::Model gpt2(int64_t dim, int64_t layers, int64_t vocab = 40, int64_t positions = 32) {
  torch::manual_seed(0);
  models::gpt2::Config c;
  c.vocab_size = vocab;
  c.n_positions = positions;
  c.n_embd = dim;
  c.n_layer = layers;
  c.n_head = 2;
  models::gpt2::Model m(c);
  models::weights::freeze(*m);
  return m;
}

// No template: the prompt goes before the first real token.
inline core::methods::MethodContext context(models::gpt2::Model& model) {
  core::methods::MethodContext ctx;
  ctx.backbone = model.get();
  ctx.prompts = core::PromptSet();
  ctx.hidden_size = model->hidden_size();
  ctx.num_layers = model->num_layers();
  ctx.input = core::methods::InputPlacement::kInsert;
  return ctx;
}

}  // namespace softprompt::tests
