#include "core/layer_hooks.h"

#include <torch/torch.h>

#include <algorithm>
#include <set>

#include "core/errors.h"

namespace softprompt::core {

void HookableLinear::add_hook(std::shared_ptr<LinearHook> hook) {
  TORCH_CHECK(hook != nullptr, "HookableLinear::add_hook: null hook");
  hooks_.push_back(std::move(hook));
}

void HookableLinear::remove_hook(const LinearHook* hook) {
  hooks_.erase(std::remove_if(hooks_.begin(), hooks_.end(), [&](const auto& h) { return h.get() == hook; }),
               hooks_.end());
}

at::Tensor HookableLinear::run_hooks(const at::Tensor& x, at::Tensor y) const {
  for (const auto& h : hooks_) y = h->apply(x, y);
  return y;
}

namespace {

bool name_matches(const std::string& name, const std::string& target) {
  if (name == target) return true;
  return name.size() > target.size() &&
         name.compare(name.size() - target.size(), target.size(), target) == 0 &&
         name[name.size() - target.size() - 1] == '.';
}

// The last two name components ("h.3.attn.c_attn" -> "attn.c_attn"): what a target usually names.
std::string short_name(const std::string& name) {
  const size_t last = name.rfind('.');
  if (last == std::string::npos || last == 0) return name;
  const size_t prev = name.rfind('.', last - 1);
  return prev == std::string::npos ? name : name.substr(prev + 1);
}

}  // namespace

std::vector<HookSite> find_hookable(torch::nn::Module& root, const std::vector<std::string>& targets) {
  if (targets.empty()) throw InputError("no target layers given");
  std::vector<HookSite> all;
  for (const auto& item : root.named_modules(/*name_prefix=*/"", /*include_self=*/false))
    if (auto* layer = dynamic_cast<HookableLinear*>(item.value().get()))
      all.push_back({item.key(), item.value(), layer});
  std::vector<HookSite> out;
  for (const auto& target : targets) {
    if (target.empty()) throw InputError("empty target layer name");
    bool found = false;
    for (const auto& site : all) found = name_matches(site.name, target) || found;
    if (found) continue;
    std::set<std::string> names;
    for (const auto& site : all) names.insert(short_name(site.name));
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw InputError("target layer '" + target + "' matches no hookable layer of the backbone (it has: " +
                     (list.empty() ? "none" : list) + ")");
  }
  for (const auto& site : all)
    if (std::any_of(targets.begin(), targets.end(),
                    [&](const auto& t) { return name_matches(site.name, t); }))
      out.push_back(site);
  return out;
}

}  // namespace softprompt::core
