#pragma once
// Conversion between softprompt artifacts (core/artifact.h) and PEFT prompt-learning adapters (core/peft.h).
//
// Tensor names follow PromptSet's state dict: the module serving slot S is registered as S with '.' -> '_',
// and its prompt is "<module>.prompt_embeddings" (SoftPrompt), a key/value prompt
// "<module>.key.prompt_embeddings" and "<module>.value.prompt_embeddings" (KvPair). So:
//   input slot "text", [P,D]                      <-> PROMPT_TUNING (P_TUNING when the method is "p_tuning")
//   key/value slots "text.kv.0" .. "text.kv.L-1"  <-> PREFIX_TUNING [P, L*2*D]
// Layer (deep) prompts, prompt banks ([N,P,D]) and mixed input + key/value prompts have no PEFT form and are
// refused with an InputError that says why.
#include <string>

#include "core/artifact.h"
#include "core/peft.h"

namespace softprompt::core {

// The module name PromptSet registers for `slot` ("text.kv.3" -> "text_kv_3").
std::string prompt_module_name(const std::string& slot);

struct PeftExportOptions {
  std::string task_type;            // "" = the imported adapter's, else "CAUSAL_LM"
  bool drop_other_tensors = false;  // export although the artifact holds tensors PEFT cannot carry
};

// `label` names the artifact in errors.
PeftAdapter artifact_to_peft(const Manifest& manifest, const io::TensorMap& tensors, const std::string& label,
                             const PeftExportOptions& options = {});

struct ImportedPrompt {
  Manifest manifest;
  io::TensorMap tensors;
};
// The adapter as an artifact whose prompts serve `modality`'s slots. Tensors keep their stored dtype.
ImportedPrompt peft_to_artifact(const PeftAdapter& adapter, const std::string& modality = "text");

// File-level: artifact (stem or either file) -> PEFT directory, and back. import_peft returns the saved
// manifest.
void export_peft(const std::string& artifact_path, const std::string& out_dir,
                 const PeftExportOptions& options = {});
Manifest import_peft(const std::string& peft_dir, const std::string& artifact_path,
                     const std::string& modality = "text");

}  // namespace softprompt::core
