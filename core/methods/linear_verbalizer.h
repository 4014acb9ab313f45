#pragma once
// The learnable verbalizer of SpeechPrompt v2 (Chang et al. 2023, "SpeechPrompt v2: Prompt Tuning for Speech
// Classification Tasks"): a linear map from the LM's last hidden state at the read position to one logit per
// class. Initialized from the label units' rows of the LM head (weight) and zero bias, so before training it
// scores exactly as the fixed verbalizer (label -> unit) does; training then moves it away from the LM head.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace softprompt::core::methods {

class LinearVerbalizerImpl : public torch::nn::Module {
 public:
  // label_embeddings [K,D]: the LM head's rows of the K label units (copied; K >= 2). Throws InputError for
  // another shape.
  explicit LinearVerbalizerImpl(const at::Tensor& label_embeddings);
  // hidden [...,D] -> [...,K] class logits (fp32 parameters; the result takes hidden's dtype).
  at::Tensor forward(const at::Tensor& hidden);
  int64_t num_classes() const { return linear->weight.size(0); }

  torch::nn::Linear linear{nullptr};  // registered as "linear": weight [K,D], bias [K]
};
TORCH_MODULE(LinearVerbalizer);

}  // namespace softprompt::core::methods
