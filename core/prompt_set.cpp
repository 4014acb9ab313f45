#include "core/prompt_set.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/errors.h"

namespace softprompt::core {
namespace {

const char* kind_name(SlotKind k) {
  switch (k) {
    case SlotKind::kLayer: return "layer";
    case SlotKind::kKeyValue: return "key/value";
    case SlotKind::kInput: break;
  }
  return "input";
}

SlotName parse_or_throw(const std::string& slot) {
  try {
    return parse_slot(slot);
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
}

}  // namespace

void PromptSetImpl::check_new(const std::string& slot, SlotKind kind) {
  const SlotName name = parse_or_throw(slot);
  if (name.kind != kind)
    throw InputError("slot '" + slot + "' is a " + kind_name(name.kind) + " slot, not a " + kind_name(kind) + " slot");
  if (slots_.count(slot) || kv_slots_.count(slot)) throw InputError("slot '" + slot + "' is configured twice");
}

// Module names may not contain '.', so "text.layer.3" registers as "text_layer_3".
void PromptSetImpl::adopt(const std::string& slot, std::shared_ptr<torch::nn::Module> m) {
  if (!m) throw InputError("slot '" + slot + "': no prompt source given");
  if (!registered_.insert(m.get()).second) return;
  std::string name = slot;
  std::replace(name.begin(), name.end(), '.', '_');
  register_module(name, std::move(m));
}

void PromptSetImpl::add_template_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source) {
  check_new(slot, SlotKind::kInput);
  adopt(slot, source);
  slots_[slot] = {Mode::kTemplate, std::move(source), {}};
}

void PromptSetImpl::add_insert_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source, InsertAt at) {
  check_new(slot, SlotKind::kInput);
  if (at.offset < 0) throw InputError("slot '" + slot + "': negative insert offset " + std::to_string(at.offset));
  adopt(slot, source);
  slots_[slot] = {Mode::kInsert, std::move(source), at};
}

void PromptSetImpl::add_layer_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source) {
  check_new(slot, SlotKind::kLayer);
  adopt(slot, source);
  slots_[slot] = {Mode::kLayer, std::move(source), {}};
}

void PromptSetImpl::add_kv_slot(const std::string& slot, std::shared_ptr<KvSourceImpl> source) {
  check_new(slot, SlotKind::kKeyValue);
  adopt(slot, source);
  kv_slots_[slot] = std::move(source);
}

void PromptSetImpl::select(const at::Tensor& rows) {
  if (!rows.defined()) {
    rows_ = at::Tensor();
    return;
  }
  if (rows.dim() != 1) throw InputError("prompt selection rows must be [B], got " + c10::str(rows.sizes()));
  at::Tensor r = rows.to(at::kCPU, at::kLong);
  if (r.numel() > 0) {
    const int64_t lo = r.min().item<int64_t>(), hi = r.max().item<int64_t>();
    auto check = [&](const std::string& slot, int64_t n) {
      if (n > 1 && (lo < 0 || hi >= n))
        throw InputError("prompt selection " + std::to_string(lo < 0 ? lo : hi) + " is outside [0," +
                         std::to_string(n) + ") for slot '" + slot + "'");
    };
    for (const auto& [slot, e] : slots_) check(slot, e.source->num_prompts());
    for (const auto& [slot, s] : kv_slots_) check(slot, s->num_prompts());
  }
  rows_ = r;
}

void PromptSetImpl::set_placement(const std::string& slot, const PlacedBatch& batch) {
  const auto it = slots_.find(slot);
  if (it == slots_.end() || it->second.mode != Mode::kTemplate)
    throw InputError("slot '" + slot + "' is not a template input slot of this prompt set");
  if (batch.num_soft != it->second.source->length())
    throw InputError("slot '" + slot + "': the template has " + std::to_string(batch.num_soft) +
                     " soft positions but the prompt has " + std::to_string(it->second.source->length()) +
                     " vectors");
  const at::Tensor& index = batch.soft_index;
  if (!index.defined() || index.dim() != 2)
    throw InputError("slot '" + slot + "': the placement's soft_index must be [B,T]");
  // Checked here, on the host, so that scatter_prompts needs no device sync at every layer.
  const at::Tensor host = index.to(at::kCPU);
  if (host.numel() > 0 && host.max().item<int64_t>() >= batch.num_soft)
    throw InputError("slot '" + slot + "': soft_index refers to vector " + std::to_string(host.max().item<int64_t>()) +
                     " of a " + std::to_string(batch.num_soft) + "-vector prompt");
  placements_[slot] = index;
}

void PromptSetImpl::begin_batch(const at::Tensor& rows, const std::map<std::string, const PlacedBatch*>& placements) {
  placements_.clear();
  reserved_.clear();
  dtypes_.clear();
  select(rows);
  for (const auto& [slot, batch] : placements) set_placement(slot, *batch);
}

at::Tensor PromptSetImpl::rows_for(int64_t batch, const at::Device& device) const {
  if (!rows_.defined()) return at::zeros({batch}, at::TensorOptions().dtype(at::kLong).device(device));
  TORCH_CHECK(rows_.size(0) == batch, "PromptSet: ", rows_.size(0), " rows selected for a batch of ", batch);
  return rows_.to(device);
}

SlotInput PromptSetImpl::at_input(const std::string& slot, const SlotName& name, const Entry& e, SlotInput x) {
  const SelectedPrompts p = e.source->select(rows_for(x.embeds.size(0), x.embeds.device()));
  if (e.mode == Mode::kInsert) {
    Insertion ins = insert_prompts(x, p.vectors, p.mask, e.at);
    reserved_[name.modality] = ins.soft_index;
    return ins.x;
  }
  const auto pl = placements_.find(slot);
  if (pl == placements_.end())
    throw InputError("slot '" + slot + "' has no placement for this batch (pass the PlacedBatch to begin_batch)");
  const at::Tensor index = pl->second.to(x.embeds.device());
  TORCH_CHECK(index.sizes() == x.embeds.sizes().slice(0, 2), "PromptSet: placement of slot '", slot, "' is ",
              index.sizes(), " but the sequence is ", x.embeds.sizes().slice(0, 2));
  // Soft positions beyond a row's prompt length are masked: the row then equals its prompt alone.
  const at::Tensor keep = (index < 0) | p.mask.gather(1, index.clamp_min(0)).to(at::kBool);
  reserved_[name.modality] = index;
  return {scatter_prompts(x.embeds, index, p.vectors), x.mask.masked_fill(~keep, 0)};
}

SlotInput PromptSetImpl::at_slot(const std::string& slot, SlotInput x) {
  // Key/value prompts of a modality take the dtype its input slot had, prompted or not.
  if (slot.find('.') == std::string::npos) dtypes_[slot] = x.embeds.scalar_type();
  const auto it = slots_.find(slot);
  if (it == slots_.end()) return x;
  const SlotName name = parse_slot(slot);
  if (it->second.mode != Mode::kLayer) return at_input(slot, name, it->second, std::move(x));
  const auto reserved = reserved_.find(name.modality);
  TORCH_CHECK(reserved != reserved_.end(), "PromptSet: layer slot '", slot, "' reached before input slot '",
              name.modality, "' placed its prompts in this forward");
  TORCH_CHECK(reserved->second.sizes() == x.embeds.sizes().slice(0, 2), "PromptSet: layer slot '", slot,
              "' sees a ", x.embeds.sizes().slice(0, 2), " sequence but its input slot placed ",
              reserved->second.sizes());
  const SelectedPrompts p = it->second.source->select(rows_for(x.embeds.size(0), x.embeds.device()));
  return replace_prompts(x, reserved->second, p.vectors);
}

std::optional<KV> PromptSetImpl::kv_at(const std::string& slot, int64_t batch) {
  const auto it = kv_slots_.find(slot);
  if (it == kv_slots_.end()) return std::nullopt;
  KV kv = it->second->select(rows_for(batch, at::kCPU));
  // Prompt parameters stay fp32; cast to the dtype this modality's embeddings had in this forward.
  const auto dtype = dtypes_.find(parse_slot(slot).modality);
  if (dtype != dtypes_.end()) {
    kv.key = kv.key.to(dtype->second);
    kv.value = kv.value.to(dtype->second);
  }
  return kv;
}

std::vector<at::Tensor> PromptSetImpl::prompt_parameters() const {
  std::vector<at::Tensor> out;
  std::set<const void*> seen;
  for (const auto& p : parameters())
    if (seen.insert(p.unsafeGetTensorImpl()).second) out.push_back(p);
  return out;
}

std::vector<std::string> PromptSetImpl::slots() const {
  std::vector<std::string> out;
  for (const auto& [slot, e] : slots_) out.push_back(slot);
  for (const auto& [slot, s] : kv_slots_) out.push_back(slot);
  std::sort(out.begin(), out.end());
  return out;
}

int64_t PromptSetImpl::num_prompts() const {
  int64_t n = 1;
  for (const auto& [slot, e] : slots_) n = std::max(n, e.source->num_prompts());
  for (const auto& [slot, s] : kv_slots_) n = std::max(n, s->num_prompts());
  return n;
}

}  // namespace softprompt::core
