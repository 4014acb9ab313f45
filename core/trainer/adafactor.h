#pragma once
// Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost"): the
// optimizer Lester et al. 2021 used to train soft prompts (lr 0.3). Follows Hugging Face transformers'
// Adafactor step for step: second moments factored into row and column means for parameters with >= 2 dims,
// beta2_t = 1 - t^decay_rate, eps (1e-30, 1e-3), update clipping RMS(u) <= clip_threshold, optional first
// moment (beta1 > 0), decoupled weight decay, optional relative step size (when no lr is given).
#include <torch/optim/optimizer.h>
#include <torch/optim/serialize.h>

#include <vector>

namespace softprompt::core::trainer {

struct AdafactorOptions : public torch::optim::OptimizerCloneableOptions<AdafactorOptions> {
  // lr > 0: that step size (relative_step off). lr == 0: relative step min(1e-2, 1/sqrt(t)) (relative_step
  // on).
  explicit AdafactorOptions(double lr = 0) : lr_(lr), relative_step_(lr == 0) {}
  TORCH_ARG(double, lr) = 0;
  TORCH_ARG(double, eps1) = 1e-30;  // added to grad^2
  TORCH_ARG(double, eps2) = 1e-3;   // floor of RMS(param) when scale_parameter is on
  TORCH_ARG(double, clip_threshold) = 1.0;
  TORCH_ARG(double, decay_rate) = -0.8;
  TORCH_ARG(double, beta1) = 0.0;  // 0 = no first moment
  TORCH_ARG(double, weight_decay) = 0.0;
  TORCH_ARG(bool, scale_parameter) = true;
  TORCH_ARG(bool, relative_step) = true;
  TORCH_ARG(bool, warmup_init) = false;  // relative step only: min(1e-6 t, 1/sqrt(t))

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct AdafactorParamState : public torch::optim::OptimizerCloneableParamState<AdafactorParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(double, rms) = 0.0;                   // RMS of the parameter before the last update
  TORCH_ARG(torch::Tensor, exp_avg) = {};         // first moment (beta1 > 0 only)
  TORCH_ARG(torch::Tensor, exp_avg_sq_row) = {};  // factored second moment [..., R]
  TORCH_ARG(torch::Tensor, exp_avg_sq_col) = {};  // factored second moment [..., C]
  TORCH_ARG(torch::Tensor, exp_avg_sq) = {};      // full second moment (parameters with < 2 dims)

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class Adafactor : public torch::optim::Optimizer {
 public:
  explicit Adafactor(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdafactorOptions defaults);
  explicit Adafactor(std::vector<torch::Tensor> params, AdafactorOptions defaults)
      : Adafactor({torch::optim::OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  template <typename Self, typename Archive>
  static void serialize(Self& self, Archive& archive) {
    _TORCH_OPTIM_SERIALIZE_WITH_TEMPLATE_ARG(Adafactor);
  }
  void update_param(torch::Tensor& param, const AdafactorOptions& options);
};

}  // namespace softprompt::core::trainer
