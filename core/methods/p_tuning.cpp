#include "core/methods/p_tuning.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "core/methods/method_options.h"
#include "core/peft_convert.h"

namespace softprompt::core::methods {
namespace {

config::Schema<PTuningOptions> schema() {
  const PTuningOptions d;
  config::Schema<PTuningOptions> s;
  s.add("num_tokens", &PTuningOptions::num_tokens, d.num_tokens, "prompt length P")
      .add_enum("encoder", &PTuningOptions::encoder, d.encoder,
                {{"lstm", PTuningEncoder::kLstm}, {"mlp", PTuningEncoder::kMlp}},
                "prompt encoder: bidirectional LSTM + MLP head (Liu et al.) or MLP")
      .add("encoder_hidden", &PTuningOptions::encoder_hidden, d.encoder_hidden, "encoder hidden width H")
      .add("init_range", &PTuningOptions::init_range, d.init_range, "U(-r, r) init of the virtual tokens")
      .add("seed", &PTuningOptions::seed, d.seed, "init seed");
  return s;
}

}  // namespace

void PTuningOptions::validate() const {
  if (num_tokens < 1) throw InputError("p_tuning num_tokens must be >= 1, got " + std::to_string(num_tokens));
  if (encoder_hidden < 1)
    throw InputError("p_tuning encoder_hidden must be >= 1, got " + std::to_string(encoder_hidden));
  if (!(init_range > 0) || !std::isfinite(init_range))
    throw InputError("p_tuning init_range must be > 0, got " + std::to_string(init_range));
}

PTuningPromptImpl::PTuningPromptImpl(const PTuningOptions& options, int64_t dim)
    : num_tokens_(options.num_tokens), dim_(dim) {
  const int64_t H = options.encoder_hidden;
  namespace nn = torch::nn;
  if (options.encoder == PTuningEncoder::kLstm) {
    lstm = register_module(
        "lstm", nn::LSTM(nn::LSTMOptions(dim, H).num_layers(2).bidirectional(true).batch_first(true)));
    mlp =
        register_module("mlp", nn::Sequential(nn::Linear(2 * H, 2 * H), nn::ReLU(), nn::Linear(2 * H, dim)));
  } else {
    mlp = register_module("mlp", nn::Sequential(nn::Linear(dim, H), nn::ReLU(), nn::Linear(H, H), nn::ReLU(),
                                                nn::Linear(H, dim)));
  }
  seeded_init(*this, options.seed + 1);
  virtual_tokens = register_module("embedding", nn::Embedding(num_tokens_, dim));
  torch::NoGradGuard no_grad;
  virtual_tokens->weight.copy_(
      init_uniform(num_tokens_, dim, options.init_range, static_cast<uint64_t>(options.seed), at::kCPU));
}

at::Tensor PTuningPromptImpl::encode() const {
  if (folded()) return prompt_embeddings;
  at::Tensor h = virtual_tokens->weight;
  if (lstm) h = std::get<0>(lstm.ptr()->forward(h.unsqueeze(0))).squeeze(0);  // [1,P,D] -> [P,2H]
  return mlp.ptr()->forward(h);                                               // -> [P,D]
}

core::SelectedPrompts PTuningPromptImpl::select(const at::Tensor& rows) {
  TORCH_CHECK(rows.dim() == 1, "PTuningPrompt::select: rows must be [B], got ", rows.sizes());
  const at::Tensor p = encode();
  const int64_t B = rows.size(0);
  return {p.unsqueeze(0).expand({B, p.size(0), p.size(1)}),
          at::ones({B, p.size(0)}, p.options().dtype(at::kLong))};
}

void PTuningPromptImpl::fold() {
  if (folded()) return;
  at::Tensor out;
  {
    torch::NoGradGuard no_grad;
    out = encode().detach().clone();
  }
  if (lstm) unregister_module("lstm");
  unregister_module("mlp");
  unregister_module("embedding");
  lstm = nullptr;
  mlp = nullptr;
  virtual_tokens = nullptr;
  prompt_embeddings = register_parameter("prompt_embeddings", out);
}

PTuningImpl::PTuningImpl(PTuningOptions options, const MethodContext& ctx)
    : MethodImpl("p_tuning"), options_(std::move(options)) {
  options_.validate();
  check_slot_context(ctx, "p_tuning");
  prompt_ = std::make_shared<PTuningPromptImpl>(options_, ctx.hidden_size);
  slot_ = attach_input(ctx, prompt_);
  register_module(core::prompt_module_name(slot_), prompt_);
}

nlohmann::json PTuningImpl::options_json() const { return schema().to_json(options_); }

io::TensorMap PTuningImpl::export_tensors() const {
  torch::NoGradGuard no_grad;
  return {{core::prompt_module_name(slot_) + ".prompt_embeddings",
           prompt_->encode().detach().to(at::kCPU).clone()}};
}

void PTuningImpl::load_tensors(const io::TensorMap& tensors) {
  prompt_->fold();
  MethodImpl::load_tensors(tensors);
}

Method make_p_tuning(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  return std::make_shared<PTuningImpl>(read_method_options(schema(), options, name), ctx);
}

}  // namespace softprompt::core::methods
