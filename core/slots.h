#pragma once
// The embedding-slot contract between backbones and prompts (DESIGN.md, "The central abstraction").
// A backbone calls the injector at every slot it passes; the core (PromptSet) decides what goes in and where.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace softprompt::core {

// A hidden sequence at a slot. embeds [B,T,D] (any float dtype); mask [B,T] int64, 1 = real token, 0 = padding.
struct SlotInput {
  at::Tensor embeds;
  at::Tensor mask;
};

// Extra keys and values prepended inside one attention block (prefix tuning / P-tuning v2).
// key, value: [B,P,D] with D = the block's hidden size (the backbone splits heads); mask [B,P] int64
// (1 = attend). The prompt's own positions are not counted in the input's position ids.
struct KV {
  at::Tensor key;
  at::Tensor value;
  at::Tensor mask;
};

// Slot names. Input slots are the modality name ("text", "vision", "units", "audio"); layer slots
// "<modality>.layer.<i>" (the hidden sequence entering block i); key/value slots "<modality>.kv.<i>".
enum class SlotKind { kInput, kLayer, kKeyValue };
struct SlotName {
  std::string modality;
  SlotKind kind = SlotKind::kInput;
  int64_t layer = -1;
};
std::string input_slot(const std::string& modality);
std::string layer_slot(const std::string& modality, int64_t layer);
std::string kv_slot(const std::string& modality, int64_t layer);
// Parses a slot name; throws std::invalid_argument naming the text when it is not of the forms above.
SlotName parse_slot(const std::string& name);

// What a backbone sees of the prompts. Implemented in core by PromptSet; NoPrompts is the identity.
class PromptInjector {
 public:
  virtual ~PromptInjector() = default;
  // [B,T,D], [B,T] -> [B,T',D], [B,T'] (T' >= T when prompts are inserted; == T when they replace).
  virtual SlotInput at_slot(const std::string& slot, SlotInput x) = 0;
  // Extra keys/values for the attention at a key/value slot, or nullopt.
  virtual std::optional<KV> kv_at(const std::string& slot, int64_t batch) = 0;
};

// The identity injector: a plain forward pass.
class NoPrompts final : public PromptInjector {
 public:
  SlotInput at_slot(const std::string&, SlotInput x) override { return x; }
  std::optional<KV> kv_at(const std::string&, int64_t) override { return std::nullopt; }
};

}  // namespace softprompt::core
