#include "core/methods/adapter.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/methods/method_options.h"

namespace softprompt::core::methods {
namespace {

// The kind is the method's name (adapter_houlsby / adapter_pfeiffer), not an option.
config::Schema<AdapterOptions> schema() {
  const AdapterOptions d;
  config::Schema<AdapterOptions> s;
  s.add("reduction_factor", &AdapterOptions::reduction_factor, d.reduction_factor,
        "bottleneck width = hidden size / reduction_factor")
      .add("activation", &AdapterOptions::activation, d.activation, "relu | gelu | tanh")
      .add("targets", &AdapterOptions::targets, d.targets,
           "output projections to follow; empty = attn.c_proj + mlp.c_proj (houlsby), mlp.c_proj (pfeiffer)")
      .add("seed", &AdapterOptions::seed, d.seed, "init seed of the down projections");
  return s;
}

}  // namespace

void AdapterOptions::validate() const {
  if (reduction_factor < 1)
    throw InputError("adapter reduction_factor must be >= 1, got " + std::to_string(reduction_factor));
  if (activation != "relu" && activation != "gelu" && activation != "tanh")
    throw InputError("adapter activation '" + activation + "' is not one of: relu, gelu, tanh");
}

std::vector<std::string> AdapterOptions::resolved_targets() const {
  if (!targets.empty()) return targets;
  if (kind == AdapterKind::kHoulsby) return {"attn.c_proj", "mlp.c_proj"};
  return {"mlp.c_proj"};
}

AdapterLayerImpl::AdapterLayerImpl(int64_t dim, int64_t bottleneck, std::string activation, int64_t seed)
    : activation_(std::move(activation)) {
  down = register_module("down", torch::nn::Linear(dim, bottleneck));
  up = register_module("up", torch::nn::Linear(bottleneck, dim));
  seeded_init(*down, seed);
  torch::NoGradGuard no_grad;
  up->weight.zero_();  // the untrained adapter is the identity
  up->bias.zero_();
}

at::Tensor AdapterLayerImpl::apply(const at::Tensor&, const at::Tensor& y) {
  at::Tensor h = down->forward(y.to(down->weight.scalar_type()));  // [...,D] -> [...,D/r]
  if (activation_ == "relu")
    h = torch::relu(h);
  else if (activation_ == "gelu")
    h = torch::gelu(h);
  else
    h = torch::tanh(h);
  return y + up->forward(h).to(y.scalar_type());  // [...,D]
}

AdapterImpl::AdapterImpl(std::string name, AdapterOptions options, const MethodContext& ctx)
    : MethodImpl(std::move(name)), options_(std::move(options)) {
  options_.validate();
  if (!ctx.backbone) throw InputError(this->name() + " needs the backbone module (MethodContext::backbone)");
  sites_ = core::find_hookable(*ctx.backbone, options_.resolved_targets());
  for (size_t i = 0; i < sites_.size(); ++i) {
    const int64_t dim = sites_[i].layer->out_features();
    auto layer =
        std::make_shared<AdapterLayerImpl>(dim, std::max<int64_t>(1, dim / options_.reduction_factor),
                                           options_.activation, options_.seed + static_cast<int64_t>(i));
    register_module(hook_module_name(sites_[i].name), layer);
    sites_[i].layer->add_hook(layer);
    names_.push_back(sites_[i].name);
    layers_.push_back(layer);
  }
}

nlohmann::json AdapterImpl::options_json() const { return schema().to_json(options_); }

void AdapterImpl::detach() {
  for (size_t i = 0; i < sites_.size(); ++i) sites_[i].layer->remove_hook(layers_[i].get());
  sites_.clear();
}

Method make_adapter(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  const AdapterKind kind = name == "adapter_pfeiffer" ? AdapterKind::kPfeiffer : AdapterKind::kHoulsby;
  AdapterOptions o = read_method_options(schema(), options, name);
  o.kind = kind;
  return std::make_shared<AdapterImpl>(name, std::move(o), ctx);
}

}  // namespace softprompt::core::methods
