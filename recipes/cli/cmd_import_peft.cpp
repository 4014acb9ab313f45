// `softprompt import-peft PEFTDIR OUT_NAME [--modality text]`: reads a Hugging Face PEFT prompt-learning
// adapter (PROMPT_TUNING, P_TUNING, PREFIX_TUNING; adapter_model.safetensors) and saves it as the softprompt
// artifact OUT_NAME.{json,safetensors}.
#include <iostream>
#include <memory>

#include "core/peft_convert.h"
#include "recipes/cli/command.h"

namespace {

struct Options {
  std::string peft_dir, out_name, modality = "text";
};

softprompt::cli::Registration reg(
    "import-peft", "save a Hugging Face PEFT prompt adapter as a softprompt artifact", [](CLI::App& sub) {
      auto opt = std::make_shared<Options>();
      sub.add_option("peft_dir", opt->peft_dir,
                     "directory with adapter_config.json + adapter_model.safetensors")
          ->required();
      sub.add_option("out_name", opt->out_name, "artifact to write: OUT_NAME.json + OUT_NAME.safetensors")
          ->required();
      sub.add_option("--modality", opt->modality,
                     "the modality whose slots the prompt serves (default text)");
      return [opt]() -> int {
        const auto m = softprompt::core::import_peft(opt->peft_dir, opt->out_name, opt->modality);
        std::cout << "wrote " << softprompt::core::artifact_paths(opt->out_name).manifest << "\n"
                  << softprompt::core::describe_manifest(m);
        return 0;
      };
    });

}  // namespace
