#include "core/methods/lora.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/methods/method_options.h"

namespace softprompt::core::methods {
namespace {

config::Schema<LoraOptions> schema() {
  const LoraOptions d;
  config::Schema<LoraOptions> s;
  s.add("rank", &LoraOptions::rank, d.rank, "r, the rank of the update")
      .add("alpha", &LoraOptions::alpha, d.alpha, "the update is scaled by alpha / rank")
      .add("dropout", &LoraOptions::dropout, d.dropout, "dropout on the update's input while training")
      .add("targets", &LoraOptions::targets, d.targets, "linear layers to adapt, by name or suffix")
      .add("seed", &LoraOptions::seed, d.seed, "init seed of A");
  return s;
}

}  // namespace

void LoraOptions::validate() const {
  if (rank < 1) throw InputError("lora rank must be >= 1, got " + std::to_string(rank));
  if (!std::isfinite(alpha) || alpha <= 0)
    throw InputError("lora alpha must be > 0, got " + std::to_string(alpha));
  if (!(dropout >= 0 && dropout < 1))
    throw InputError("lora dropout must be in [0,1), got " + std::to_string(dropout));
  if (targets.empty()) throw InputError("lora targets must name at least one layer");
}

LoraLayerImpl::LoraLayerImpl(int64_t in, int64_t out, int64_t rank, double scale, double dropout,
                             int64_t seed)
    : scale_(scale), dropout_(dropout) {
  lora_A = register_parameter("lora_A", init_uniform(rank, in, 1.0 / std::sqrt(static_cast<double>(in)),
                                                     static_cast<uint64_t>(seed), at::kCPU));
  lora_B = register_parameter("lora_B", torch::zeros({out, rank}));
}

at::Tensor LoraLayerImpl::apply(const at::Tensor& x, const at::Tensor& y) {
  if (merged) return y;
  at::Tensor in = x.to(lora_A.scalar_type());
  if (dropout_ > 0 && is_training()) in = torch::dropout(in, dropout_, /*train=*/true);
  // [...,in] -> [...,r] -> [...,out]
  const at::Tensor update = torch::matmul(torch::matmul(in, lora_A.t()), lora_B.t()) * scale_;
  return y + update.to(y.scalar_type());
}

at::Tensor LoraLayerImpl::delta() const { return torch::matmul(lora_A.t(), lora_B.t()) * scale_; }

LoraImpl::LoraImpl(LoraOptions options, const MethodContext& ctx)
    : MethodImpl("lora"), options_(std::move(options)) {
  options_.validate();
  if (!ctx.backbone) throw InputError("lora needs the backbone module (MethodContext::backbone)");
  sites_ = core::find_hookable(*ctx.backbone, options_.targets);
  const double scale = options_.alpha / static_cast<double>(options_.rank);
  for (size_t i = 0; i < sites_.size(); ++i) {
    auto& site = sites_[i];
    auto layer =
        std::make_shared<LoraLayerImpl>(site.layer->in_features(), site.layer->out_features(), options_.rank,
                                        scale, options_.dropout, options_.seed + static_cast<int64_t>(i));
    register_module(hook_module_name(site.name), layer);
    site.layer->add_hook(layer);
    names_.push_back(site.name);
    layers_.push_back(layer);
  }
}

nlohmann::json LoraImpl::options_json() const { return schema().to_json(options_); }

void LoraImpl::detach() {
  unmerge();
  for (size_t i = 0; i < sites_.size(); ++i) sites_[i].layer->remove_hook(layers_[i].get());
  sites_.clear();
}

void LoraImpl::load_tensors(const io::TensorMap& tensors) {
  unmerge();
  MethodImpl::load_tensors(tensors);
}

void LoraImpl::merge() {
  if (merged_) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < sites_.size(); ++i) {
    sites_[i].layer->add_to_weight(layers_[i]->delta());
    layers_[i]->merged = true;
  }
  merged_ = true;
}

void LoraImpl::unmerge() {
  if (!merged_) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < sites_.size(); ++i) {
    sites_[i].layer->add_to_weight(-layers_[i]->delta());
    layers_[i]->merged = false;
  }
  merged_ = false;
}

Method make_lora(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  return std::make_shared<LoraImpl>(read_method_options(schema(), options, name), ctx);
}

}  // namespace softprompt::core::methods
