#include "core/methods/method_registry.h"

#include <torch/torch.h>

#include "core/config/schema.h"
#include "core/errors.h"
#include "core/methods/adapter.h"
#include "core/methods/lora.h"
#include "core/methods/p_tuning.h"
#include "core/methods/prefix_tuning.h"
#include "core/methods/prompt_tuning.h"

namespace softprompt::core::methods {

const std::vector<MethodEntry>& method_registry() {
  static const std::vector<MethodEntry> kMethods = {
      {"prompt_tuning", "a soft prompt at the input slot (Lester et al. 2021)", make_prompt_tuning},
      {"prefix", "keys/values at every layer through an MLP, folded on save (Li & Liang 2021)",
       make_prefix_tuning},
      {"p_tuning_v2", "keys/values at every layer, trained directly (Liu et al. 2022)", make_prefix_tuning},
      {"p_tuning", "an input prompt from an LSTM/MLP encoder, folded on save (Liu et al. 2021)",
       make_p_tuning},
      {"lora", "low-rank updates of chosen linear layers, mergeable (Hu et al. 2022)", make_lora},
      {"adapter_houlsby", "bottleneck adapters after attention and MLP (Houlsby et al. 2019)", make_adapter},
      {"adapter_pfeiffer", "one bottleneck adapter per block, after the MLP (Pfeiffer et al. 2021)",
       make_adapter},
      {"multitask_prompt", "one input prompt shared by several tasks, then transferred (Vu et al. 2022)",
       make_prompt_tuning},
  };
  return kMethods;
}

std::vector<std::string> registered_method_names() {
  std::vector<std::string> out;
  for (const auto& m : method_registry()) out.push_back(m.name);
  return out;
}

Method make_method(const std::string& name, const nlohmann::json& options, const MethodContext& ctx) {
  for (const auto& m : method_registry())
    if (m.name == name) return m.make(name, options, ctx);
  throw InputError(config::detail::enum_error("method", name, registered_method_names()));
}

}  // namespace softprompt::core::methods
