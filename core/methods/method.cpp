#include "core/methods/method.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/errors.h"

namespace softprompt::core::methods {

io::TensorMap MethodImpl::trainable_parameters() const {
  io::TensorMap out;
  std::set<const void*> seen;
  for (const auto& p : named_parameters(/*recurse=*/true))
    if (p.value().requires_grad() && seen.insert(p.value().unsafeGetTensorImpl()).second)
      out.emplace(p.key(), p.value());
  return out;
}

io::TensorMap MethodImpl::export_tensors() const {
  io::TensorMap out;
  for (const auto& [name, t] : trainable_parameters()) out.emplace(name, t.detach().to(at::kCPU).clone());
  return out;
}

void MethodImpl::load_tensors(const io::TensorMap& tensors) {
  load_exact(tensors, trainable_parameters(), name_);
}

void load_exact(const io::TensorMap& tensors, const io::TensorMap& target, const std::string& what) {
  for (const auto& [name, t] : tensors)
    if (!target.count(name)) throw InputError(what + ": unexpected tensor '" + name + "'");
  for (const auto& [name, dst] : target) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw InputError(what + ": missing tensor '" + name + "'");
    if (it->second.sizes() != dst.sizes())
      throw InputError(what + ": tensor '" + name + "' has shape " + c10::str(it->second.sizes()) +
                       ", expected " + c10::str(dst.sizes()));
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, dst] : target) dst.copy_(tensors.at(name));
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t n = 0;
  std::set<const void*> seen;
  for (const auto& p : module.parameters(/*recurse=*/true))
    if (seen.insert(p.unsafeGetTensorImpl()).second) n += p.numel();
  return n;
}

ParameterReport parameter_report(const MethodImpl& method, const torch::nn::Module& backbone) {
  ParameterReport r;
  for (const auto& [name, t] : method.trainable_parameters()) r.trainable += t.numel();
  r.backbone = count_parameters(backbone);
  r.percent = r.backbone > 0 ? 100.0 * static_cast<double>(r.trainable) / static_cast<double>(r.backbone) : 0;
  return r;
}

}  // namespace softprompt::core::methods

namespace softprompt::core::methods {

std::string hook_module_name(const std::string& layer_name) {
  std::string out = layer_name;
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

void check_slot_context(const MethodContext& ctx, const std::string& what) {
  if (!ctx.prompts) throw InputError(what + " needs a PromptSet in its context (MethodContext::prompts)");
  if (ctx.hidden_size < 1 || ctx.num_layers < 1)
    throw InputError(what + " needs the backbone's hidden_size and num_layers, got " +
                     std::to_string(ctx.hidden_size) + " and " + std::to_string(ctx.num_layers));
}

std::string attach_input(const MethodContext& ctx, std::shared_ptr<core::PromptSourceImpl> source) {
  if (!ctx.prompts)
    throw InputError("an input prompt needs a PromptSet in its context (MethodContext::prompts)");
  const std::string slot = core::input_slot(ctx.modality);
  if (ctx.input == InputPlacement::kTemplate)
    ctx.prompts.ptr()->add_template_slot(slot, std::move(source));
  else
    ctx.prompts.ptr()->add_insert_slot(slot, std::move(source), ctx.insert_at);
  return slot;
}

}  // namespace softprompt::core::methods

namespace softprompt::core::methods {

void seeded_init(torch::nn::Module& module, int64_t seed) {
  torch::NoGradGuard no_grad;
  uint64_t k = 0;
  for (auto& p : module.parameters(/*recurse=*/true)) {
    const uint64_t s = static_cast<uint64_t>(seed) + k++;
    if (p.dim() < 2) {
      p.zero_();
      continue;
    }
    const int64_t in = p.size(-1), rows = p.numel() / in;
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    p.copy_(init_uniform(rows, in, bound, s, p.device()).view(p.sizes()));
  }
}

}  // namespace softprompt::core::methods
