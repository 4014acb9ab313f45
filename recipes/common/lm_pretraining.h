#pragma once
// Causal-LM pretraining of a GPT-2-architecture model on token streams: used for the starter text LM
// (recipes/pretrain_lm) and the unit LM over discrete acoustic units. The model trains in full here (it is the
// backbone being made, not a frozen one); the Trainer runs the loop.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "core/trainer/task.h"
#include "models/gpt2/model.h"

namespace softprompt::recipes {

// Concatenates documents, each followed by `separator`, and cuts the stream into windows of `length` + 1
// tokens with stride `length` (inputs = w[:, :-1], targets = w[:, 1:]). -> [N, length+1] int64.
at::Tensor make_windows(const std::vector<std::vector<int64_t>>& docs, int64_t separator, int64_t length);

// GPT-2's initialization (Radford et al. 2019, as HF's _init_weights): N(0, 0.02) weights and embeddings, zero
// biases, unit LayerNorms, residual projections (c_proj) scaled by 1/sqrt(2 * n_layer).
void init_gpt2_weights(models::gpt2::ModelImpl& model);

// Next-token prediction over windows. Metric: "perplexity" (exp of the mean held-out token loss), and "loss".
class LmPretrainTask : public core::trainer::Task {
 public:
  LmPretrainTask(models::gpt2::Model model, at::Tensor train_windows, at::Tensor dev_windows,
                 int64_t eval_batch = 32);
  int64_t train_size() const override { return train_.size(0); }
  core::trainer::StepOutput train_step(const std::vector<int64_t>& indices) override;
  core::trainer::EvalResult evaluate(const std::string& split) override;
  core::io::TensorMap trainable_parameters() override;

 private:
  models::gpt2::Model model_;
  at::Tensor train_, dev_;
  int64_t eval_batch_;
};

}  // namespace softprompt::recipes
