#include "core/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/errors.h"

namespace softprompt::core::io {
namespace fs = std::filesystem;
namespace {

std::string temp_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(reinterpret_cast<uintptr_t>(&path));
}

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;  // best effort for directories on file systems that refuse it
  ::fsync(fd);
  ::close(fd);
}

void write_temp(const std::string& tmp, const std::string& contents) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError("cannot create '" + tmp + "': " + std::strerror(errno));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.flush();
  if (!out) throw IoError("cannot write '" + tmp + "': " + std::strerror(errno));
  out.close();
  fsync_path(tmp, false);
}

std::string parent_dir(const std::string& path) {
  auto p = fs::path(path).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

}  // namespace

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> temps;
  try {
    for (const auto& [path, contents] : files) {
      const auto dir = parent_dir(path);
      std::error_code ec;
      fs::create_directories(dir, ec);
      temps.push_back(temp_name(path));
      write_temp(temps.back(), contents);
    }
  } catch (...) {
    for (const auto& t : temps) ::unlink(t.c_str());
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    if (::rename(temps[i].c_str(), files[i].first.c_str()) != 0) {
      const std::string err = std::strerror(errno);
      for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
      throw IoError("cannot rename onto '" + files[i].first + "': " + err);
    }
  }
  for (const auto& [path, _] : files) fsync_path(parent_dir(path), true);
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_files_atomically({{path, contents}});
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::ostringstream buf(std::ios::binary);
  write(buf);
  write_file_atomically(path, buf.str());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace softprompt::core::io
