#include "recipes/common/lm_corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::recipes {
namespace fs = std::filesystem;
namespace {

bool attaches_left(const std::string& w) {
  return w == "." || w == "," || w == ";" || w == ":" || w == "?" || w == "!" || w == ")" || w == "''" ||
         w == "'s" || w == "n't" || w == "'" || w == "%";
}

std::vector<std::string> paragraphs(const std::string& text) {
  std::vector<std::string> out;
  std::string cur, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    const bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
    if (blank) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      if (!cur.empty()) cur.push_back(' ');
      cur += line.substr(line.find_first_not_of(" \t"));
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool prose_line(const std::string& l) {
  if (l.empty() || l[0] == '>' || l.find('<') != std::string::npos || l.find("http") != std::string::npos ||
      l.find('@') != std::string::npos || l.find("--") == 0)
    return false;
  size_t letters = 0;
  for (unsigned char c : l) {
    if (c >= 0x80) return false;  // keep the corpus ASCII: e-mails mix unknown encodings
    letters += std::isalpha(c) ? 1 : 0;
  }
  return letters * 10 >= l.size() * 6;
}

}  // namespace

std::string detag_brown(const std::string& tagged) {
  std::istringstream in(tagged);
  std::string tok, out;
  bool open_quote = false;
  while (in >> tok) {
    const auto slash = tok.rfind('/');
    std::string w = slash == std::string::npos || slash == 0 ? tok : tok.substr(0, slash);
    if (w == "``") {
      if (!out.empty()) out.push_back(' ');
      out += '"';
      open_quote = true;
      continue;
    }
    if (w == "''") w = "\"";
    const bool left = attaches_left(w) || w == "\"";
    if (!out.empty() && !left && !open_quote) out.push_back(' ');
    out += w;
    open_quote = false;
  }
  return out;
}

std::vector<std::string> read_brown_corpus(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto n = e.path().filename().string();
    if (n.size() == 4 && n[0] == 'c' && std::isalpha(static_cast<unsigned char>(n[1])) &&
        std::isdigit(static_cast<unsigned char>(n[2])) && std::isdigit(static_cast<unsigned char>(n[3])))
      files.push_back(e.path());
  }
  if (ec || files.empty()) throw IoError("no Brown corpus files (ca01 ...) in '" + dir + "'");
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files)
    for (const auto& p : paragraphs(core::io::read_file(f.string()))) {
      auto s = detag_brown(p);
      if (s.size() > 20) out.push_back(std::move(s));
    }
  return out;
}

std::vector<std::string> read_email_bodies(const std::string& dir, size_t max_docs) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& group : {"easy-ham-1", "easy-ham-2", "hard-ham-1"})
    for (const auto& e : fs::directory_iterator(fs::path(dir) / group, ec))
      if (e.path().extension() == ".txt") files.push_back(e.path());
  if (files.empty()) throw IoError("no e-mails (easy-ham-1/*.txt ...) in '" + dir + "'");
  std::sort(files.begin(), files.end());
  if (files.size() > max_docs) files.resize(max_docs);
  std::vector<std::string> out;
  for (const auto& f : files) {
    const auto text = core::io::read_file(f.string());
    const auto body_at = text.find("\n\n");
    if (body_at == std::string::npos) continue;
    std::istringstream in(text.substr(body_at + 2));
    std::string line, kept;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      kept += prose_line(line) ? line + "\n" : "\n";
    }
    for (auto& p : paragraphs(kept))
      if (p.size() > 40) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace softprompt::recipes
