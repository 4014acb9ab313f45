#pragma once
// The `method.*` section every classification recipe shares: which parameter-efficient method trains
// (method.name) and its options (method.options, a mapping handed to the method as is). A recipe adopts it
// with one line in its schema:
//   add_method_options(s, [](Config& c) -> MethodConfig& { return c.method; });
// and builds the method with recipes/common/method_factory.h.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/config/schema.h"

namespace softprompt::recipes {

struct MethodConfig {
  std::string name = "prompt_tuning";                  // one of method_names()
  nlohmann::json options = nlohmann::json::object();   // the method's own options, e.g. {rank: 8} for lora
};

// Every name method.name accepts, in the order reports list them.
const std::vector<std::string>& method_names();
// Throws InputError "method.name 'x' is not one of: ..." (with the nearest name) for an unknown method and
// for options that are not a mapping.
void validate_method_config(const MethodConfig& m);

template <class C, class Access>
void add_method_options(core::config::Schema<C>& s, Access access) {
  s.add("method.name", [access](C& c) -> std::string& { return access(c).name; }, "prompt_tuning",
        "prompt_tuning | prefix | p_tuning_v2 | p_tuning | lora | adapter_houlsby | adapter_pfeiffer | "
        "linear_probe | full_ft")
      .add("method.options", [access](C& c) -> nlohmann::json& { return access(c).options; },
           nlohmann::json::object(), "the method's options as a mapping, e.g. {rank: 8, alpha: 16}");
}

}  // namespace softprompt::recipes
