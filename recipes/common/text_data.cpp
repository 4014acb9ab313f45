#include "recipes/common/text_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::recipes {
namespace {

struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

template <typename T>
void shuffle_in_place(std::vector<T>& v, uint64_t seed) {
  SplitMix64 rng{seed};
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.next() % i]);
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Parses one CSV record starting at `pos` (RFC 4180: quoted fields may hold commas, quotes and newlines).
std::vector<std::string> csv_record(const std::string& s, size_t& pos, int& line, const std::string& path) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false, field_was_quoted = false;
  const int start_line = line;
  for (; pos < s.size(); ++pos) {
    const char c = s[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < s.size() && s[pos + 1] == '"') {
          cur.push_back('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cur.push_back(c);
      }
    } else if (c == '"') {
      if (!cur.empty()) throw InputError(path + ":" + std::to_string(line) + ": stray quote inside a field");
      quoted = field_was_quoted = true;
    } else if (c == ',') {
      fields.push_back(field_was_quoted ? cur : trim(cur));
      cur.clear();
      field_was_quoted = false;
    } else if (c == '\n') {
      ++pos;
      ++line;
      break;
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  if (quoted) throw InputError(path + ":" + std::to_string(start_line) + ": unterminated quoted field");
  fields.push_back(field_was_quoted ? cur : trim(cur));
  return fields;
}

std::vector<TextExample> read_csv(const std::string& path, const std::string& contents) {
  size_t pos = 0;
  int line = 1;
  const auto header = csv_record(contents, pos, line, path);
  const auto col = [&](const std::string& name) -> size_t {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw InputError(path + ": the header row has no '" + name + "' column");
    return static_cast<size_t>(it - header.begin());
  };
  const size_t ti = col("text"), li = col("label");
  std::vector<TextExample> out;
  const auto source = std::filesystem::path(path).filename().string();
  while (pos < contents.size()) {
    const int row_line = line;
    const auto rec = csv_record(contents, pos, line, path);
    if (rec.size() == 1 && rec[0].empty()) continue;  // blank line
    if (rec.size() != header.size())
      throw InputError(path + ":" + std::to_string(row_line) + ": " + std::to_string(rec.size()) + " fields, the header has " +
                       std::to_string(header.size()));
    if (rec[li].empty()) throw InputError(path + ":" + std::to_string(row_line) + ": empty label");
    out.push_back({rec[ti], rec[li], source});
  }
  return out;
}

std::vector<TextExample> read_jsonl(const std::string& path, const std::string& contents) {
  std::vector<TextExample> out;
  std::istringstream in(contents);
  std::string line;
  const auto source = std::filesystem::path(path).filename().string();
  for (int n = 1; std::getline(in, line); ++n) {
    if (trim(line).empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (j.is_discarded() || !j.is_object()) throw InputError(where + "not a JSON object");
    if (!j.contains("text") || !j["text"].is_string()) throw InputError(where + "missing string field 'text'");
    if (!j.contains("label") || j["label"].is_null()) throw InputError(where + "missing field 'label'");
    const auto& l = j["label"];
    std::string label = l.is_string() ? l.get<std::string>() : l.dump();
    if (label.empty()) throw InputError(where + "empty label");
    out.push_back({j["text"].get<std::string>(), label, source});
  }
  return out;
}

}  // namespace

std::vector<TextExample> read_uci_sentiment(const std::string& json_path, const std::string& source) {
  const auto j = nlohmann::json::parse(core::io::read_file(json_path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) throw InputError(json_path + ": not a JSON array");
  std::vector<TextExample> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    const std::string where = json_path + ": entry " + std::to_string(i) + ": ";
    if (!e.is_object() || !e.contains("text") || !e["text"].is_string()) throw InputError(where + "no string 'text'");
    if (!e.contains("class") || e["class"].is_null()) continue;  // the package's trailing placeholder entry
    if (!e["class"].is_number_integer()) throw InputError(where + "'class' is not 0 or 1");
    const int c = e["class"].get<int>();
    if (c != 0 && c != 1) throw InputError(where + "'class' is " + std::to_string(c) + ", not 0 or 1");
    const auto text = trim(e["text"].get<std::string>());
    if (text.empty()) continue;
    out.push_back({text, c == 1 ? "positive" : "negative", source});
  }
  if (out.empty()) throw InputError(json_path + ": no labelled sentences");
  return out;
}

std::vector<TextExample> read_labelled_text(const std::string& path) {
  const auto contents = core::io::read_file(path);
  const auto ext = std::filesystem::path(path).extension().string();
  auto out = ext == ".csv" ? read_csv(path, contents) : read_jsonl(path, contents);
  if (out.empty()) throw InputError(path + ": the data set is empty");
  return out;
}

TextSplits split_examples(const std::vector<TextExample>& examples, double train_fraction, double dev_fraction,
                          uint64_t seed) {
  if (train_fraction <= 0 || dev_fraction < 0 || train_fraction + dev_fraction >= 1)
    throw InputError("split fractions must satisfy 0 < train, 0 <= dev, train + dev < 1");
  std::map<std::string, std::vector<TextExample>> by_source;
  for (const auto& e : examples) by_source[e.source].push_back(e);
  TextSplits s;
  uint64_t k = 0;
  for (auto& [source, v] : by_source) {
    shuffle_in_place(v, seed + 0x1000 * ++k);
    const auto n_train = static_cast<size_t>(v.size() * train_fraction + 0.5);
    const auto n_dev = static_cast<size_t>(v.size() * dev_fraction + 0.5);
    for (size_t i = 0; i < v.size(); ++i)
      (i < n_train ? s.train : i < n_train + n_dev ? s.dev : s.test).push_back(v[i]);
  }
  return s;
}

TextSplits uci_sentiment_splits(const std::string& dir) {
  std::vector<TextExample> all;
  for (const char* src : {"imdb", "amazon", "yelp"}) {
    auto v = read_uci_sentiment(dir + "/" + src + ".json", src);
    all.insert(all.end(), v.begin(), v.end());
  }
  return split_examples(all, 0.7, 0.1, 20240917);
}

}  // namespace softprompt::recipes
