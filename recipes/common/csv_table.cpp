#include "recipes/common/csv_table.h"

#include <algorithm>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::recipes {
namespace {

std::string trim_blanks(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string where(const std::string& path, int line) { return path + ":" + std::to_string(line) + ": "; }

// One record starting at `pos`; advances `pos` past it and `line` over the newlines it consumed.
std::vector<std::string> next_record(const std::string& s, size_t& pos, int& line, const std::string& path) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false, was_quoted = false;
  const int start_line = line;
  for (; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (quoted) {
      if (c != '"') {
        if (c == '\n') ++line;
        cur.push_back(c);
      } else if (pos + 1 < s.size() && s[pos + 1] == '"') {
        cur.push_back('"');
        ++pos;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      if (was_quoted || !trim_blanks(cur).empty())
        throw InputError(where(path, line) + "stray quote inside a field");
      cur.clear();
      quoted = was_quoted = true;
    } else if (c == ',' || c == '\n') {
      fields.push_back(was_quoted ? cur : trim_blanks(cur));
      cur.clear();
      was_quoted = false;
      if (c == '\n') {
        ++pos;
        ++line;
        return fields;
      }
    } else if (was_quoted) {
      if (c != ' ' && c != '\t' && c != '\r')
        throw InputError(where(path, line) + "text after a closing quote");
    } else {
      cur.push_back(c);
    }
  }
  if (quoted) throw InputError(where(path, start_line) + "unterminated quoted field");
  fields.push_back(was_quoted ? cur : trim_blanks(cur));
  return fields;
}

bool is_blank(const std::vector<std::string>& record) { return record.size() == 1 && record[0].empty(); }

}  // namespace

size_t CsvTable::column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) throw InputError(path + ": the header row has no '" + name + "' column");
  return static_cast<size_t>(it - header.begin());
}

CsvTable parse_csv_table(const std::string& contents, const std::string& path) {
  CsvTable t;
  t.path = path;
  size_t pos = contents.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int line = 1;
  while (pos < contents.size() && t.header.empty()) {
    auto record = next_record(contents, pos, line, path);
    if (!is_blank(record)) t.header = std::move(record);
  }
  if (t.header.empty()) throw InputError(path + ": empty CSV file (no header row)");
  while (pos < contents.size()) {
    const int row_line = line;
    auto record = next_record(contents, pos, line, path);
    if (is_blank(record)) continue;
    if (record.size() != t.header.size())
      throw InputError(where(path, row_line) + std::to_string(record.size()) + " fields, the header has " +
                       std::to_string(t.header.size()));
    t.rows.push_back({row_line, std::move(record)});
  }
  return t;
}

CsvTable read_csv_table(const std::string& path) { return parse_csv_table(core::io::read_file(path), path); }

}  // namespace softprompt::recipes
