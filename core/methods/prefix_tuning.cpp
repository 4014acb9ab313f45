#include "core/methods/prefix_tuning.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "core/methods/method_options.h"
#include "core/peft_convert.h"

namespace softprompt::core::methods {
namespace {

config::Schema<PrefixTuningOptions> schema(PrefixReparam default_reparam) {
  config::Schema<PrefixTuningOptions> s;
  s.add("num_tokens", &PrefixTuningOptions::num_tokens, 20, "prefix length P (keys/values per layer)")
      .add_enum("reparam", &PrefixTuningOptions::reparam, default_reparam,
                {{"none", PrefixReparam::kNone}, {"mlp", PrefixReparam::kMlp}},
                "train through Li & Liang's MLP (folded away on save) or the keys/values directly")
      .add("encoder_hidden", &PrefixTuningOptions::encoder_hidden, 512, "reparam mlp: hidden width")
      .add("init_range", &PrefixTuningOptions::init_range, 0.5, "U(-r, r) init of keys/values or MLP input")
      .add("seed", &PrefixTuningOptions::seed, 0, "init seed");
  return s;
}

SoftPromptOptions plain_options(int64_t num_tokens, int64_t dim, double range, int64_t seed) {
  SoftPromptOptions o;
  o.num_tokens = num_tokens;
  o.dim = dim;
  o.init_range = range;
  o.seed = static_cast<uint64_t>(seed);
  return o;
}

}  // namespace

void PrefixTuningOptions::validate() const {
  if (num_tokens < 1) throw InputError("prefix num_tokens must be >= 1, got " + std::to_string(num_tokens));
  if (encoder_hidden < 1)
    throw InputError("prefix encoder_hidden must be >= 1, got " + std::to_string(encoder_hidden));
  if (!(init_range > 0) || !std::isfinite(init_range))
    throw InputError("prefix init_range must be > 0, got " + std::to_string(init_range));
}

PrefixEncoderImpl::PrefixEncoderImpl(int64_t num_tokens, int64_t dim, int64_t num_layers,
                                     int64_t hidden_width, double init_range, int64_t seed)
    : dim_(dim) {
  hidden = register_module("hidden", torch::nn::Linear(dim, hidden_width));
  out = register_module("out", torch::nn::Linear(hidden_width, 2 * num_layers * dim));
  seeded_init(*this, seed + 1);
  embedding = register_parameter(
      "embedding", init_uniform(num_tokens, dim, init_range, static_cast<uint64_t>(seed), at::kCPU));
}

std::pair<at::Tensor, at::Tensor> PrefixEncoderImpl::layer(int64_t i) const {
  // [P,D] -> [P,H] -> this layer's [P,2D] slice of [P,2LD]: key chunk 2i, value chunk 2i+1 (PEFT's layout).
  const at::Tensor h = torch::tanh(hidden.ptr()->forward(embedding));
  const at::Tensor kv = torch::addmm(out->bias.narrow(0, 2 * i * dim_, 2 * dim_), h,
                                     out->weight.narrow(0, 2 * i * dim_, 2 * dim_).t());
  return {kv.narrow(1, 0, dim_), kv.narrow(1, dim_, dim_)};
}

PrefixLayerImpl::PrefixLayerImpl(int64_t layer, std::shared_ptr<PrefixEncoderImpl> encoder)
    : layer_(layer), encoder_(std::move(encoder)) {}

PrefixLayerImpl::PrefixLayerImpl(at::Tensor key, at::Tensor value) { make_plain(key, value); }

void PrefixLayerImpl::make_plain(const at::Tensor& key, const at::Tensor& value) {
  key_ = std::make_shared<SoftPromptImpl>(plain_options(key.size(0), key.size(1), 1.0, 0));
  value_ = std::make_shared<SoftPromptImpl>(plain_options(value.size(0), value.size(1), 1.0, 0));
  torch::NoGradGuard no_grad;
  key_->weight.copy_(key);
  value_->weight.copy_(value);
  register_module("key", key_);
  register_module("value", value_);
}

std::pair<at::Tensor, at::Tensor> PrefixLayerImpl::key_value() const {
  if (encoder_) return encoder_->layer(layer_);
  return {key_->weight, value_->weight};
}

core::KV PrefixLayerImpl::select(const at::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 1, "PrefixLayer::select: rows must be [B], got ", rows.sizes());
  auto [key, value] = key_value();
  const int64_t B = rows.size(0), P = key.size(0), D = key.size(1);
  return {key.unsqueeze(0).expand({B, P, D}), value.unsqueeze(0).expand({B, P, D}),
          at::ones({B, P}, key.options().dtype(at::kLong))};
}

void PrefixLayerImpl::fold() {
  if (!encoder_) return;
  torch::NoGradGuard no_grad;
  auto [key, value] = encoder_->layer(layer_);
  encoder_.reset();
  make_plain(key, value);
}

PrefixTuningImpl::PrefixTuningImpl(std::string name, PrefixTuningOptions options, const MethodContext& ctx)
    : MethodImpl(std::move(name)), options_(std::move(options)) {
  options_.validate();
  check_slot_context(ctx, this->name());
  const int64_t P = options_.num_tokens, D = ctx.hidden_size, L = ctx.num_layers;
  if (options_.reparam == PrefixReparam::kMlp)
    encoder_ = register_module(
        "encoder", PrefixEncoder(P, D, L, options_.encoder_hidden, options_.init_range, options_.seed));
  for (int64_t i = 0; i < L; ++i) {
    const std::string slot = core::kv_slot(ctx.modality, i);
    std::shared_ptr<PrefixLayerImpl> layer;
    if (encoder_) {
      layer = std::make_shared<PrefixLayerImpl>(i, encoder_);
    } else {
      const uint64_t seed = static_cast<uint64_t>(options_.seed) + 2 * static_cast<uint64_t>(i);
      layer = std::make_shared<PrefixLayerImpl>(init_uniform(P, D, options_.init_range, seed, at::kCPU),
                                                init_uniform(P, D, options_.init_range, seed + 1, at::kCPU));
    }
    register_module(core::prompt_module_name(slot), layer);
    ctx.prompts.ptr()->add_kv_slot(slot, layer);
    layers_.push_back(layer);
    slots_.push_back(slot);
  }
}

nlohmann::json PrefixTuningImpl::options_json() const {
  return schema(PrefixReparam::kNone).to_json(options_);
}

io::TensorMap PrefixTuningImpl::export_tensors() const {
  torch::NoGradGuard no_grad;
  io::TensorMap out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const std::string module = core::prompt_module_name(slots_[i]);
    auto [key, value] = layers_[i]->key_value();
    out.emplace(module + ".key.prompt_embeddings", key.detach().to(at::kCPU).clone());
    out.emplace(module + ".value.prompt_embeddings", value.detach().to(at::kCPU).clone());
  }
  return out;
}

void PrefixTuningImpl::fold() {
  if (!encoder_) return;
  for (auto& layer : layers_) layer->fold();
  unregister_module("encoder");
  encoder_.reset();
}

void PrefixTuningImpl::load_tensors(const io::TensorMap& tensors) {
  fold();
  MethodImpl::load_tensors(tensors);
}

Method make_prefix_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  const PrefixReparam reparam = name == "prefix" ? PrefixReparam::kMlp : PrefixReparam::kNone;
  return std::make_shared<PrefixTuningImpl>(name, read_method_options(schema(reparam), options, name), ctx);
}

}  // namespace softprompt::core::methods
