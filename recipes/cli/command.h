#pragma once
// Subcommands of the `softprompt` tool register themselves: one file per subcommand (cmd_<name>.cpp) holds
//   static softprompt::cli::Registration reg("name", "one-line help", [](CLI::App& sub) {
//     auto opts = std::make_shared<Options>();  sub.add_option(...);   // declare flags
//     return [opts]() -> int { ...; return 0; };                         // run after parsing
//   });
// main() adds them all, parses, runs the chosen one, and turns exceptions into one error line.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace softprompt::cli {

using Runner = std::function<int()>;
using Setup = std::function<Runner(CLI::App& sub)>;

struct CommandSpec {
  std::string name;
  std::string help;
  Setup setup;
};

std::vector<CommandSpec>& registry();

struct Registration {
  Registration(std::string name, std::string help, Setup setup) {
    registry().push_back({std::move(name), std::move(help), std::move(setup)});
  }
};

}  // namespace softprompt::cli
