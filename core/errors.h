#pragma once
// Error types. Config and I/O problems throw these with the offending value in the message; recipes and the
// CLI catch them in main, print one line "error: <message>" and exit non-zero (2 for bad input).
#include <stdexcept>
#include <string>

namespace softprompt {

// Bad user input: a config value, a file's contents, a tensor name or shape given on the command line.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A file that cannot be opened, read or written.
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace softprompt
