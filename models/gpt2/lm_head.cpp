#include "models/gpt2/lm_head.h"

#include <torch/torch.h>

#include <algorithm>

namespace softprompt::models::gpt2 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Rows of hidden per chunk: enough to keep each chunk's float32 logits near 16M values (64 MB).
int64_t rows_per_chunk(int64_t requested, int64_t vocab) {
  if (requested > 0) return requested;
  return std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(vocab, 1));
}

// Flat rows: hidden [N,D], weight [V,D], targets [N] -> mean loss; backward recomputes logits per chunk.
class ChunkedCrossEntropy : public torch::autograd::Function<ChunkedCrossEntropy> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& hidden, const at::Tensor& weight,
                            const at::Tensor& targets, int64_t chunk, int64_t ignore_index) {
    const at::Tensor valid = targets != ignore_index;
    const double count = std::max<double>(1.0, static_cast<double>(valid.sum().item<int64_t>()));
    at::Tensor total = torch::zeros({}, hidden.options().dtype(torch::kFloat));
    for (int64_t s = 0; s < hidden.size(0); s += chunk) {
      const int64_t n = std::min(chunk, hidden.size(0) - s);
      at::Tensor logits = torch::matmul(hidden.narrow(0, s, n), weight.t()).to(torch::kFloat);  // [n,V]
      at::Tensor ok = valid.narrow(0, s, n);
      at::Tensor tgt = targets.narrow(0, s, n).masked_fill(ok.logical_not(), 0).unsqueeze(1);
      at::Tensor nll = torch::logsumexp(logits, -1) - logits.gather(1, tgt).squeeze(1);
      total += nll.masked_fill(ok.logical_not(), 0).sum();
    }
    ctx->save_for_backward({hidden, weight, targets});
    ctx->saved_data["chunk"] = chunk;
    ctx->saved_data["ignore_index"] = ignore_index;
    ctx->saved_data["count"] = count;
    return total / count;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &hidden = saved[0], &weight = saved[1], &targets = saved[2];
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    const int64_t ignore_index = ctx->saved_data["ignore_index"].toInt();
    const at::Tensor scale = grad_outputs[0].to(torch::kFloat) / ctx->saved_data["count"].toDouble();
    const bool want_hidden = ctx->needs_input_grad(0), want_weight = ctx->needs_input_grad(1);
    at::Tensor grad_hidden = want_hidden ? torch::zeros_like(hidden) : at::Tensor();
    at::Tensor grad_weight = want_weight ? torch::zeros_like(weight, torch::kFloat) : at::Tensor();
    for (int64_t s = 0; s < hidden.size(0) && (want_hidden || want_weight); s += chunk) {
      const int64_t n = std::min(chunk, hidden.size(0) - s);
      at::Tensor h = hidden.narrow(0, s, n);
      at::Tensor ok = targets.narrow(0, s, n) != ignore_index;
      at::Tensor tgt = targets.narrow(0, s, n).masked_fill(ok.logical_not(), 0).unsqueeze(1);
      // d loss / d logits = (softmax - onehot) * valid * scale
      at::Tensor g = torch::softmax(torch::matmul(h, weight.t()).to(torch::kFloat), -1);
      g.scatter_add_(1, tgt, torch::full({n, 1}, -1.0f, g.options()));
      g.mul_((ok.to(torch::kFloat) * scale).unsqueeze(1));
      if (want_hidden) grad_hidden.narrow(0, s, n).copy_(torch::matmul(g.to(weight.scalar_type()), weight));
      if (want_weight) grad_weight.addmm_(g.t(), h.to(torch::kFloat));
    }
    if (want_weight) grad_weight = grad_weight.to(weight.scalar_type());
    return {grad_hidden, grad_weight, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor head_logits(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& token_ids) {
  TORCH_CHECK(hidden.size(-1) == weight.size(1), "lm head: hidden size ", hidden.size(-1), " != weight ",
              weight.sizes());
  if (!token_ids.defined()) return torch::linear(hidden, weight);  // [...,V]
  TORCH_CHECK(token_ids.dim() == 1 && token_ids.scalar_type() == torch::kLong,
              "lm head: token_ids must be a 1-D int64 tensor, got ", token_ids.sizes(), " ",
              token_ids.scalar_type());
  if (token_ids.numel() > 0) {
    const int64_t lo = token_ids.min().item<int64_t>(), hi = token_ids.max().item<int64_t>();
    TORCH_CHECK(lo >= 0 && hi < weight.size(0), "lm head: token ids must lie in [0,", weight.size(0),
                "), found [", lo, ",", hi, "]");
  }
  // Only K rows of the [V,D] head: [...,D] x [D,K].
  return torch::linear(hidden, weight.index_select(0, token_ids.to(weight.device())));
}

at::Tensor chunked_cross_entropy(const at::Tensor& hidden, const at::Tensor& weight,
                                 const at::Tensor& targets, int64_t chunk_positions, int64_t ignore_index) {
  TORCH_CHECK(hidden.dim() >= 1 && hidden.size(-1) == weight.size(1) && weight.dim() == 2,
              "chunked_cross_entropy: hidden ", hidden.sizes(), " does not fit weight ", weight.sizes());
  TORCH_CHECK(targets.sizes() == hidden.sizes().slice(0, hidden.dim() - 1), "chunked_cross_entropy: targets ",
              targets.sizes(), " do not match hidden ", hidden.sizes());
  at::Tensor flat_targets = targets.reshape({-1}).to(hidden.device(), torch::kLong);
  const at::Tensor valid = flat_targets != ignore_index;
  if (valid.any().item<bool>()) {
    const at::Tensor vt = flat_targets.masked_select(valid);
    TORCH_CHECK(vt.min().item<int64_t>() >= 0 && vt.max().item<int64_t>() < weight.size(0),
                "chunked_cross_entropy: targets must lie in [0,", weight.size(0), ") or equal ",
                ignore_index);
  }
  return ChunkedCrossEntropy::apply(hidden.reshape({-1, hidden.size(-1)}), weight, flat_targets,
                                    rows_per_chunk(chunk_positions, weight.size(0)), ignore_index);
}

}  // namespace softprompt::models::gpt2
