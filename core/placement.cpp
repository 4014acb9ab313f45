#include "core/placement.h"

#include <torch/torch.h>

namespace softprompt::core {

at::Tensor position_ids_from_mask(const at::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "position_ids_from_mask: mask must be [B,T], got ", mask.sizes());
  const at::Tensor m = mask.to(at::kLong);
  // Pads get 1 (not 0) to match HF exactly; their value never matters for real tokens.
  return (m.cumsum(/*dim=*/1) - 1).masked_fill(m == 0, 1);
}

namespace {

void check_sequence(const SlotInput& x, const char* where) {
  TORCH_CHECK(x.embeds.dim() == 3, where, ": embeds must be [B,T,D], got ", x.embeds.sizes());
  TORCH_CHECK(x.mask.dim() == 2 && x.mask.size(0) == x.embeds.size(0) && x.mask.size(1) == x.embeds.size(1),
              where, ": mask must be [B,T] = ", x.embeds.sizes().slice(0, 2), ", got ", x.mask.sizes());
}

void check_prompts(const at::Tensor& embeds, const at::Tensor& prompts, const char* where) {
  TORCH_CHECK(prompts.dim() == 3 && prompts.size(0) == embeds.size(0) && prompts.size(2) == embeds.size(2),
              where, ": prompts must be [B,P,D] with B=", embeds.size(0), " D=", embeds.size(2), ", got ",
              prompts.sizes());
  TORCH_CHECK(prompts.device() == embeds.device(), where, ": prompts on ", prompts.device(), ", embeds on ",
              embeds.device());
}

// [B] index where a row's prompt starts (see InsertAt).
at::Tensor insert_start(const at::Tensor& mask, const InsertAt& at) {
  const int64_t T = mask.size(1);
  if (T == 0) return at::zeros({mask.size(0)}, mask.options());
  const at::Tensor t = at::arange(T, mask.options());
  if (at.kind == InsertAt::Kind::kSuffix) return std::get<0>((mask * (t + 1)).max(/*dim=*/1));  // last real + 1
  const at::Tensor first = T - std::get<0>((mask * (T - t)).max(/*dim=*/1));  // T when a row has no real token
  return (first + at.offset).clamp_max(T);
}

}  // namespace

Insertion insert_prompts(const SlotInput& x, const at::Tensor& prompts, const at::Tensor& prompt_mask,
                         const InsertAt& at) {
  check_sequence(x, "insert_prompts");
  check_prompts(x.embeds, prompts, "insert_prompts");
  TORCH_CHECK(at.offset >= 0, "insert_prompts: negative offset ", at.offset);
  const int64_t B = x.embeds.size(0), T = x.embeds.size(1), P = prompts.size(1), D = x.embeds.size(2);
  const at::Tensor mask = x.mask.to(at::kLong);
  at::Tensor pmask = prompt_mask.defined() ? prompt_mask.to(mask.device(), at::kLong) : at::ones({B, P}, mask.options());
  TORCH_CHECK(pmask.sizes() == prompts.sizes().slice(0, 2), "insert_prompts: prompt_mask must be [B,P] = ",
              prompts.sizes().slice(0, 2), ", got ", pmask.sizes());

  // Output position o of row b reads cat(x, prompts)[b, src]: x before start, the prompt, then x shifted by P.
  const at::Tensor start = insert_start(mask, at).unsqueeze(1);  // [B,1]
  const at::Tensor o = at::arange(T + P, mask.options()).unsqueeze(0);  // [1,T+P]
  const at::Tensor in_prompt = (o >= start) & (o < start + P);
  const at::Tensor src = at::where(o < start, o, at::where(in_prompt, T + (o - start), o - P));  // [B,T+P]

  const at::Tensor combined = at::cat({x.embeds, prompts.to(x.embeds.scalar_type())}, /*dim=*/1);
  Insertion out;
  out.x.embeds = combined.gather(1, src.unsqueeze(-1).expand({B, T + P, D}));
  out.x.mask = at::cat({mask, pmask}, /*dim=*/1).gather(1, src);
  out.soft_index = at::where(in_prompt, o - start, at::full_like(src, -1));
  return out;
}

at::Tensor scatter_prompts(const at::Tensor& embeds, const at::Tensor& soft_index, const at::Tensor& prompts) {
  TORCH_CHECK(embeds.dim() == 3, "scatter_prompts: embeds must be [B,T,D], got ", embeds.sizes());
  check_prompts(embeds, prompts, "scatter_prompts");
  TORCH_CHECK(soft_index.sizes() == embeds.sizes().slice(0, 2), "scatter_prompts: soft_index must be [B,T] = ",
              embeds.sizes().slice(0, 2), ", got ", soft_index.sizes());
  const int64_t B = embeds.size(0), T = embeds.size(1), P = prompts.size(1), D = embeds.size(2);
  const at::Tensor index = soft_index.to(embeds.device(), at::kLong);
  if (index.numel() == 0) return embeds;
  // Range-checked where it costs no device sync (CPU); on accelerators the caller guarantees it (PromptSet
  // checks every placement on the host when it is set, insert_prompts builds valid ones).
  if (index.is_cpu()) {
    const int64_t max_index = index.max().item<int64_t>();
    TORCH_CHECK(max_index < P, "scatter_prompts: soft_index refers to prompt vector ", max_index, " but only ", P,
                " are given");
    if (max_index < 0) return embeds;
  }
  const at::Tensor gathered =
      prompts.to(embeds.scalar_type()).gather(1, index.clamp_min(0).unsqueeze(-1).expand({B, T, D}));
  return at::where((index >= 0).unsqueeze(-1), gathered, embeds);
}

SlotInput replace_prompts(const SlotInput& x, const at::Tensor& soft_index, const at::Tensor& prompts) {
  check_sequence(x, "replace_prompts");
  return {scatter_prompts(x.embeds, soft_index, prompts), x.mask};
}

at::Tensor soft_index_from_positions(const at::Tensor& positions, int64_t length) {
  TORCH_CHECK(positions.dim() == 2, "soft_index_from_positions: positions must be [B,P], got ", positions.sizes());
  const at::Tensor pos = positions.to(at::kLong);
  if (pos.numel() > 0) {
    TORCH_CHECK(pos.min().item<int64_t>() >= 0 && pos.max().item<int64_t>() < length,
                "soft_index_from_positions: a position is outside [0,", length, ")");
  }
  const at::Tensor k = at::arange(pos.size(1), pos.options()).unsqueeze(0).expand_as(pos);
  return at::full({pos.size(0), length}, -1, pos.options()).scatter(1, pos, k);
}

}  // namespace softprompt::core
