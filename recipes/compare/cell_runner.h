#pragma once
// Runs one grid cell as a child process (its own memory and time; a crash stays in the cell), output to a
// log file, and reports how it ended.
#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::recipes::compare {

struct CellExit {
  int exit_code = -1;          // the child's exit status; -1 when a signal ended it
  int signal = 0;              // the signal that ended it, else 0
  double wall_seconds = 0;
  int64_t peak_rss_bytes = 0;  // the child's resident-set high-water mark (wait4's ru_maxrss)
  bool interrupted() const;    // ended by SIGINT/SIGTERM or exit 130: the user stopped the grid
  std::string describe() const;  // "exit 2", "killed by signal 9 (Killed)"
};

// Starts argv (argv[0] is a path), appends its stdout and stderr to `log_path`, waits. Throws IoError when
// the log cannot be opened or the program cannot be started.
CellExit run_cell_process(const std::vector<std::string>& argv, const std::string& log_path);

// The last line of `log_path` that contains "error:" (what a recipe prints before exiting 2), else its last
// non-empty line; "" when the file is empty or missing.
std::string last_error_line(const std::string& log_path);

}  // namespace softprompt::recipes::compare
