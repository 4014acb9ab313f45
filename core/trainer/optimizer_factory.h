#pragma once
// Builds the optimizer TrainerOptions asks for (AdamW, SGD, Adafactor) over the trainable tensors, and
// (de)serializes any optimizer's state to bytes for checkpoints.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/trainer/trainer_options.h"

namespace torch::optim {
class Optimizer;
}

namespace softprompt::core::trainer {

// `params` must require grad. The initial lr is options.lr; the trainer sets each step's lr from the
// schedule.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainerOptions& options,
                                                        std::vector<at::Tensor> params);

// Every learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// The optimizer's state (moments, step counts, options) as an opaque byte string (a LibTorch archive).
std::string save_optimizer_state(const torch::optim::Optimizer& optimizer);
// Restores it into an optimizer built over the same tensors in the same order. Only the per-tensor state is
// restored (LibTorch's load keeps the optimizer's current options: they come from TrainerOptions). Throws
// InputError naming `label` when the bytes are not a state of this optimizer.
void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& label);

}  // namespace softprompt::core::trainer
