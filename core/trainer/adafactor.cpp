#include "core/trainer/adafactor.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace softprompt::core::trainer {
namespace {

torch::Tensor rms(const torch::Tensor& t) { return t.norm(2) / std::sqrt(static_cast<double>(t.numel())); }

// Rank-1 reconstruction of the second moment from its row and column means, as 1/sqrt:
// [..., R], [..., C] -> [..., R, C]
torch::Tensor approx_rsqrt_sq_grad(const torch::Tensor& row, const torch::Tensor& col) {
  auto r_factor = (row / row.mean(-1, /*keepdim=*/true)).rsqrt_().unsqueeze(-1);
  auto c_factor = col.unsqueeze(-2).rsqrt();
  return r_factor * c_factor;
}

double step_size(const AdafactorOptions& o, const AdafactorParamState& s) {
  double rel = o.lr();
  if (o.relative_step()) {
    const double t = static_cast<double>(s.step());
    const double min_step = o.warmup_init() ? 1e-6 * t : 1e-2;
    rel = std::min(min_step, 1.0 / std::sqrt(t));
  }
  const double scale = o.scale_parameter() ? std::max(o.eps2(), s.rms()) : 1.0;
  return scale * rel;
}

}  // namespace

void AdafactorOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps1);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps2);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(clip_threshold);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(decay_rate);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta1);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(scale_parameter);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(relative_step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(warmup_init);
}

void AdafactorOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps1);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps2);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, clip_threshold);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, decay_rate);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta1);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, scale_parameter);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, relative_step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(bool, warmup_init);
}

void AdafactorParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(rms);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq_row);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq_col);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
}

void AdafactorParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, rms);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq_row);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq_col);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg_sq);
}

Adafactor::Adafactor(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdafactorOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdafactorOptions>(defaults)) {
  TORCH_CHECK(defaults.lr() >= 0, "Adafactor: invalid lr ", defaults.lr());
  TORCH_CHECK(defaults.relative_step() == (defaults.lr() == 0), "Adafactor: a manual lr (", defaults.lr(),
              ") and relative_step cannot be combined");
  TORCH_CHECK(!defaults.warmup_init() || defaults.relative_step(),
              "Adafactor: warmup_init needs relative_step");
  TORCH_CHECK(defaults.decay_rate() < 0, "Adafactor: decay_rate must be < 0, got ", defaults.decay_rate());
  TORCH_CHECK(defaults.clip_threshold() > 0, "Adafactor: clip_threshold must be > 0");
  TORCH_CHECK(defaults.beta1() >= 0 && defaults.beta1() < 1, "Adafactor: beta1 must be in [0, 1)");
  TORCH_CHECK(defaults.weight_decay() >= 0, "Adafactor: weight_decay must be >= 0");
}

torch::Tensor Adafactor::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdafactorOptions&>(group.options());
    for (auto& p : group.params())
      if (p.grad().defined()) update_param(p, options);
  }
  return loss;
}

void Adafactor::update_param(torch::Tensor& p, const AdafactorOptions& o) {
  auto grad = p.grad();
  TORCH_CHECK(!grad.is_sparse(), "Adafactor does not support sparse gradients");
  // Half-precision parameters are updated in float32 and copied back, as in the reference.
  const bool low_precision = p.scalar_type() == at::kHalf || p.scalar_type() == at::kBFloat16;
  if (low_precision) grad = grad.to(at::kFloat);
  const bool factored = grad.dim() >= 2;
  auto& slot = state_[c10::guts::to_string(p.unsafeGetTensorImpl())];
  if (!slot) {
    auto s = std::make_unique<AdafactorParamState>();
    if (o.beta1() > 0) s->exp_avg(torch::zeros_like(grad));
    if (factored) {
      s->exp_avg_sq_row(torch::zeros_like(grad.select(-1, 0)));
      s->exp_avg_sq_col(torch::zeros_like(grad.select(-2, 0)));
    } else {
      s->exp_avg_sq(torch::zeros_like(grad));
    }
    slot = std::move(s);
  }
  auto& s = static_cast<AdafactorParamState&>(*slot);
  auto p32 = low_precision ? p.to(at::kFloat) : p;
  s.step(s.step() + 1);
  if (o.scale_parameter()) s.rms(rms(p32).item<double>());  // a host sync, only when it is used
  const double lr = step_size(o, s);
  const double beta2t = 1.0 - std::pow(static_cast<double>(s.step()), o.decay_rate());

  auto update = grad.square().add_(o.eps1());
  if (factored) {
    s.exp_avg_sq_row().mul_(beta2t).add_(update.mean(-1), 1.0 - beta2t);
    s.exp_avg_sq_col().mul_(beta2t).add_(update.mean(-2), 1.0 - beta2t);
    update = approx_rsqrt_sq_grad(s.exp_avg_sq_row(), s.exp_avg_sq_col()).mul_(grad);
  } else {
    s.exp_avg_sq().mul_(beta2t).add_(update, 1.0 - beta2t);
    update = s.exp_avg_sq().rsqrt().mul_(grad);
  }
  update.div_((rms(update) / o.clip_threshold()).clamp_min_(1.0));
  update.mul_(lr);
  if (o.beta1() > 0) {
    s.exp_avg().mul_(o.beta1()).add_(update, 1.0 - o.beta1());
    update = s.exp_avg();
  }
  if (o.weight_decay() != 0) p32.add_(p32, -o.weight_decay() * lr);
  p32.sub_(update);
  if (low_precision) p.copy_(p32);
}

void Adafactor::save(torch::serialize::OutputArchive& archive) const { serialize(*this, archive); }
void Adafactor::load(torch::serialize::InputArchive& archive) { serialize(*this, archive); }

}  // namespace softprompt::core::trainer
