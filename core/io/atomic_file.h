#pragma once
// Atomic file replacement: write to a temporary file beside the target, fsync, rename over the target,
// fsync the directory. A reader (or a crash) sees the old file or the new one, never a torn one.
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace softprompt::core::io {

// Calls `write` with a stream onto a temporary file; on success publishes it atomically at `path`.
// On any failure (exception from `write`, I/O error) the temporary file is removed, `path` is untouched,
// and softprompt::IoError (or the original exception) propagates.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_file_atomically(const std::string& path, const std::string& contents);

// Publishes several files together: each is written to a temporary file first; only when every one has
// been written are they renamed into place (in order). Used for the two-file prompt artifact.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& path_and_contents);

std::string read_file(const std::string& path);  // throws IoError naming the path

}  // namespace softprompt::core::io
