// `softprompt export-peft ARTIFACT OUTDIR [--task-type T] [--drop-other-tensors]`: writes the prompt as a
// Hugging Face PEFT adapter (adapter_config.json + adapter_model.safetensors), loadable with
// PeftModel.from_pretrained. Prompts PEFT cannot hold (deep/layer prompts, banks, mixed kinds) are refused.
#include <iostream>
#include <memory>

#include "core/peft_convert.h"
#include "recipes/cli/command.h"

namespace {

struct Options {
  std::string artifact, out_dir;
  softprompt::core::PeftExportOptions export_options;
};

softprompt::cli::Registration reg(
    "export-peft", "write a prompt artifact as a Hugging Face PEFT adapter directory", [](CLI::App& sub) {
      auto opt = std::make_shared<Options>();
      sub.add_option("artifact", opt->artifact, "NAME, NAME.json or NAME.safetensors")->required();
      sub.add_option("out_dir", opt->out_dir, "the adapter directory to write")->required();
      sub.add_option(
          "--task-type", opt->export_options.task_type,
          "PEFT task_type, e.g. CAUSAL_LM or SEQ_CLS (default: the imported adapter's, else CAUSAL_LM)");
      sub.add_flag(
          "--drop-other-tensors", opt->export_options.drop_other_tensors,
          "export although the artifact holds tensors PEFT cannot carry (e.g. a reparameterization net)");
      return [opt]() -> int {
        softprompt::core::export_peft(opt->artifact, opt->out_dir, opt->export_options);
        std::cout << "wrote " << opt->out_dir << "/" << softprompt::core::kPeftConfigFile << " and "
                  << softprompt::core::kPeftWeightsFile << "\n";
        return 0;
      };
    });

}  // namespace
