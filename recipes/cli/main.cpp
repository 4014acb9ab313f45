// `softprompt`: one entry point with subcommands (tokenize, forward, ...), in the spirit of torchtune's `tune`.
#include <c10/util/Exception.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "core/errors.h"
#include "core/threads.h"
#include "recipes/cli/command.h"

namespace softprompt::cli {
std::vector<CommandSpec>& registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}
}  // namespace softprompt::cli

int main(int argc, char** argv) {
  using namespace softprompt;
  CLI::App app{"softprompt: prompt tuning on frozen backbones"};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "LibTorch threads (default: $SOFTPROMPT_THREADS or all cores)");
  auto& commands = cli::registry();
  std::sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<CLI::App*, cli::Runner> runners;
  for (const auto& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runners[sub] = c.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    core::configure_threads(threads);
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
    return 2;
  } catch (const InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const IoError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {  // a tensor precondition (TORCH_CHECK): its message, not the backtrace
    std::cerr << "error: " << e.what_without_backtrace() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
