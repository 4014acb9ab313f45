#pragma once
// A CSV file read whole: a header row and records (RFC 4180 quoting: a quoted field may hold commas, quotes
// and newlines), each with its line number, so that readers of CSV data sets report errors as file:line.
#include <cstddef>
#include <string>
#include <vector>

namespace softprompt::recipes {

struct CsvTable {
  struct Row {
    int line = 0;  // 1-based line where the record starts
    std::vector<std::string> fields;
  };
  std::string path;
  std::vector<std::string> header;
  std::vector<Row> rows;

  // Index of the header column `name`; throws InputError naming the file and the column when there is none.
  size_t column(const std::string& name) const;
};

// Parses `contents` (named `path` in errors). Unquoted fields lose surrounding blanks, a UTF-8 byte-order
// mark and blank lines are skipped. Throws InputError naming path:line for an unterminated quote, a stray
// quote, an empty file (no header) or a record whose field count differs from the header's.
CsvTable parse_csv_table(const std::string& contents, const std::string& path);

// Reads and parses a file; IoError when it cannot be read.
CsvTable read_csv_table(const std::string& path);

}  // namespace softprompt::recipes
