// `softprompt version`: prints the version, LibTorch's and the thread count.
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <iostream>

#include "recipes/cli/command.h"

namespace {
softprompt::cli::Registration reg("version", "print versions and the thread count", [](CLI::App&) {
  return []() -> int {
    std::cout << "softprompt 0.1.0, LibTorch " << TORCH_VERSION << ", threads " << at::get_num_threads() << "\n";
    return 0;
  };
});
}  // namespace
