#include "core/trainer/optimizer_factory.h"

#include <torch/torch.h>

#include <sstream>

#include "core/errors.h"
#include "core/trainer/adafactor.h"

namespace softprompt::core::trainer {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainerOptions& o,
                                                        std::vector<at::Tensor> params) {
  for (size_t i = 0; i < params.size(); ++i)
    TORCH_CHECK(params[i].requires_grad(), "trainable tensor ", i, " does not require grad");
  switch (o.optimizer) {
    case OptimizerKind::kAdamW:
      return std::make_unique<torch::optim::AdamW>(
          std::move(params),
          torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
    case OptimizerKind::kSgd:
      return std::make_unique<torch::optim::SGD>(std::move(params), torch::optim::SGDOptions(o.lr)
                                                                        .momentum(o.momentum)
                                                                        .nesterov(o.nesterov)
                                                                        .weight_decay(o.weight_decay));
    case OptimizerKind::kAdafactor: {
      AdafactorOptions a(o.lr);  // lr 0 = relative step size
      a.decay_rate(o.adafactor_decay_rate)
          .clip_threshold(o.adafactor_clip_threshold)
          .beta1(o.adafactor_beta1)
          .weight_decay(o.weight_decay)
          // The relative step size is defined relative to the parameter scale (Shazeer & Stern, Alg. 4).
          .scale_parameter(o.lr == 0 ? true : o.adafactor_scale_parameter);
      return std::make_unique<Adafactor>(std::move(params), a);
    }
  }
  throw InputError("unknown optimizer kind");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::string save_optimizer_state(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream out(std::ios::binary);
  archive.save_to(out);
  return out.str();
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& bytes,
                          const std::string& label) {
  try {
    std::istringstream in(bytes, std::ios::binary);
    torch::serialize::InputArchive archive;
    archive.load_from(in);
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw InputError(label +
                     ": optimizer state does not match this optimizer: " + e.what_without_backtrace());
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const InputError*>(&e) || dynamic_cast<const IoError*>(&e)) throw;
    throw InputError(label + ": cannot read the optimizer state: " + e.what());
  }
}

}  // namespace softprompt::core::trainer
