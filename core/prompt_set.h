#pragma once
// The prompts of one model, serving any number of slots in any modalities, with per-sample selection:
// the core::PromptInjector a backbone calls at every slot it passes (DESIGN.md, "embedding slots").
//
//  * input slot, template placement: the sequence was built by place(); the prompt fills its soft positions;
//  * input slot, embedding-level insertion: the prompt is inserted (prefix at an offset, or suffix);
//  * layer slot ("<m>.layer.i"): the hidden states at the positions the input slot of modality m reserved in
//    this forward are replaced by this layer's prompt (VPT-deep, MaPLe);
//  * key/value slot ("<m>.kv.i"): extra keys and values (prefix tuning, P-tuning v2).
// Per-sample selection: every source is a bank of N prompts (N = 1: shared by all rows); select(rows) makes
// row b use prompt rows[b] in every slot. Banks of different lengths are padded and masked, so a row gives
// the result of its own prompt alone. The same code path serves N = 1, training and inference.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/placement.h"
#include "core/prompt_source.h"
#include "core/slots.h"

namespace softprompt::core {

class PromptSetImpl : public torch::nn::Module, public PromptInjector {
 public:
  // Configuration. Each throws InputError for a slot of the wrong kind or one configured twice. A source may
  // serve several slots; its parameters are registered once.
  void add_template_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source);
  void add_insert_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source, InsertAt at);
  void add_layer_slot(const std::string& slot, std::shared_ptr<PromptSourceImpl> source);
  void add_kv_slot(const std::string& slot, std::shared_ptr<KvSourceImpl> source);

  // Per forward. rows [B] int64: the prompt each row uses (undefined: prompt 0 for every row). Throws
  // InputError for a row outside [0,N) of a source with N > 1.
  void select(const at::Tensor& rows);
  // The placement of a template input slot for this batch (its soft_index; num_soft must equal the source's
  // length, else InputError).
  void set_placement(const std::string& slot, const PlacedBatch& batch);
  // Starts a batch: select(rows), the placements of template slots, and forgets the previous forward's state.
  void begin_batch(const at::Tensor& rows, const std::map<std::string, const PlacedBatch*>& placements = {});

  // PromptInjector. Unconfigured slots are the identity / nullopt.
  // input: [B,T,D],[B,T] -> [B,T(+P),D],[B,T(+P)]; layer: [B,T',D] -> same shape; kv: -> [B,P,D] x2,[B,P].
  SlotInput at_slot(const std::string& slot, SlotInput x) override;
  std::optional<KV> kv_at(const std::string& slot, int64_t batch) override;

  // The trainable tensors, each once. torch's parameters() lists a tensor once per path, so a source shared
  // by several slots (or nested in a KvPair and also used directly) would repeat there; give optimizers this.
  std::vector<at::Tensor> prompt_parameters() const;
  std::vector<std::string> slots() const;  // configured slots, sorted
  int64_t num_prompts() const;             // the largest N over the sources (1: no per-sample choice)

 private:
  enum class Mode { kTemplate, kInsert, kLayer };
  struct Entry {
    Mode mode;
    std::shared_ptr<PromptSourceImpl> source;
    InsertAt at;
  };
  void check_new(const std::string& slot, SlotKind kind);
  void adopt(const std::string& slot, std::shared_ptr<torch::nn::Module> m);
  at::Tensor rows_for(int64_t batch, const at::Device& device) const;
  SlotInput at_input(const std::string& slot, const SlotName& name, const Entry& e, SlotInput x);

  std::map<std::string, Entry> slots_;
  std::map<std::string, std::shared_ptr<KvSourceImpl>> kv_slots_;
  std::set<const torch::nn::Module*> registered_;
  // Per-forward state.
  at::Tensor rows_;                                      // [B] int64 on CPU, or undefined
  std::map<std::string, at::Tensor> placements_;         // template input slot -> soft_index [B,T]
  std::map<std::string, at::Tensor> reserved_;           // modality -> soft_index of its input slot this forward
  std::map<std::string, at::ScalarType> dtypes_;         // modality -> embeds dtype seen at its input slot
};
TORCH_MODULE(PromptSet);

}  // namespace softprompt::core
