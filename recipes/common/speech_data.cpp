#include "recipes/common/speech_data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "recipes/common/csv_table.h"

namespace softprompt::recipes {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBackgroundNoise = "_background_noise_";

std::string join(const std::string& dir, const std::string& rel) { return (fs::path(dir) / rel).string(); }

std::string stem_of(const std::string& file) { return fs::path(file).stem().string(); }

// Speech Commands names files "<speaker hash>_nohash_<k>.wav": the speaker is what precedes "_nohash_".
std::string speaker_of(const std::string& file) {
  const auto stem = stem_of(file);
  const auto at = stem.find("_nohash_");
  return at == std::string::npos ? stem : stem.substr(0, at);
}

bool has_wav_extension(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".wav";
}

// Names of the .wav files (or of the sub-folders) directly in `dir`, sorted so that listings are
// reproducible.
std::vector<std::string> sorted_entries(const std::string& dir, bool folders) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (folders ? e.is_directory() : (e.is_regular_file() && has_wav_extension(e.path())))
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A relative path that stays inside the corpus folder (no leading '/', no "..").
bool inside_corpus(const std::string& rel) {
  const fs::path p(rel);
  return !p.is_absolute() && std::none_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".."; });
}

// A split list: corpus-relative paths, one a line -> {path: line}. Every entry must name an existing file.
std::map<std::string, int> read_split_list(const std::string& dir, const std::string& name) {
  const auto path = join(dir, name);
  if (!fs::is_regular_file(path))
    throw InputError(path + ": missing (a Speech Commands folder lists its splits there)");
  const auto contents = core::io::read_file(path);
  std::map<std::string, int> entries;
  size_t pos = 0;
  for (int line = 1; pos < contents.size(); ++line) {
    auto end = contents.find('\n', pos);
    if (end == std::string::npos) end = contents.size();
    std::string entry = contents.substr(pos, end - pos);
    pos = end + 1;
    while (!entry.empty() && (entry.back() == '\r' || entry.back() == ' ')) entry.pop_back();
    if (entry.empty()) continue;
    const std::string where = path + ":" + std::to_string(line) + ": ";
    if (!inside_corpus(entry)) throw InputError(where + "'" + entry + "' is not a path inside the corpus");
    if (!fs::is_regular_file(join(dir, entry))) throw InputError(where + "'" + entry + "' does not exist");
    if (!entries.emplace(entry, line).second) throw InputError(where + "'" + entry + "' is listed twice");
  }
  return entries;
}

void check_words(const std::string& dir, const std::vector<std::string>& words) {
  if (words.empty()) throw InputError("read_speech_commands: no keywords given");
  std::set<std::string> seen;
  for (const auto& w : words) {
    if (w.empty() || w[0] == '_' || w.find('/') != std::string::npos)
      throw InputError("read_speech_commands: '" + w + "' is not a word folder name");
    if (!seen.insert(w).second) throw InputError("read_speech_commands: keyword '" + w + "' given twice");
    if (!fs::is_directory(join(dir, w))) throw InputError(join(dir, w) + ": keyword folder missing");
  }
}

// Silence when the corpus has no _silence_ folder: every whole second of every background-noise file.
void add_noise_windows(const std::vector<std::string>& noise_files, SpeechSplits& out) {
  for (const auto& path : noise_files) {
    const auto seconds = static_cast<int64_t>(std::floor(wav_duration_seconds(path)));
    for (int64_t i = 0; i < seconds; ++i) {
      auto& split = i % 10 == 8 ? out.validation : i % 10 == 9 ? out.test : out.train;
      split.push_back({path, kSilenceLabel, stem_of(path), "", static_cast<double>(i), 1.0});
    }
  }
}

uint32_t le32(const unsigned char* p) {
  return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint32_t le16(const unsigned char* p) { return p[0] | p[1] << 8; }

}  // namespace

const std::vector<std::string>& speech_commands_keywords() {
  static const std::vector<std::string> words = {"yes",   "no", "up",  "down", "left",
                                                 "right", "on", "off", "stop", "go"};
  return words;
}

SpeechSplits read_speech_commands(const std::string& dir, const std::vector<std::string>& words,
                                  bool include_silence_unknown) {
  if (!fs::is_directory(dir)) throw InputError(dir + ": no such Speech Commands folder");
  check_words(dir, words);
  const auto validation = read_split_list(dir, "validation_list.txt");
  const auto testing = read_split_list(dir, "testing_list.txt");
  for (const auto& [entry, line] : testing)
    if (validation.count(entry))
      throw InputError(join(dir, "testing_list.txt") + ":" + std::to_string(line) + ": '" + entry +
                       "' is in validation_list.txt too");
  const std::set<std::string> keywords(words.begin(), words.end());
  SpeechSplits out;
  bool has_silence_folder = false;
  for (const auto& folder : sorted_entries(dir, /*folders=*/true)) {
    const auto folder_path = join(dir, folder);
    if (folder == kBackgroundNoise) {
      for (const auto& f : sorted_entries(folder_path, false))
        out.background_noise.push_back(join(folder_path, f));
      continue;
    }
    const bool silence = folder == kSilenceLabel;
    has_silence_folder = has_silence_folder || silence;
    std::string label = keywords.count(folder) ? folder : silence ? kSilenceLabel : kUnknownLabel;
    if (!keywords.count(folder) && !include_silence_unknown) continue;
    const std::string transcription = silence || folder == kUnknownLabel ? "" : folder;
    for (const auto& file : sorted_entries(folder_path, /*folders=*/false)) {
      const auto rel = folder + "/" + file;
      auto& split = validation.count(rel) ? out.validation : testing.count(rel) ? out.test : out.train;
      split.push_back({join(dir, rel), label, speaker_of(file), transcription});
    }
  }
  if (include_silence_unknown && !has_silence_folder) add_noise_windows(out.background_noise, out);
  return out;
}

SpeechSplits read_fluent_speech_commands(const std::string& dir) {
  if (!fs::is_directory(dir)) throw InputError(dir + ": no such Fluent Speech Commands folder");
  SpeechSplits out;
  const std::pair<const char*, std::vector<SpeechExample>*> files[] = {
      {"train_data.csv", &out.train}, {"valid_data.csv", &out.validation}, {"test_data.csv", &out.test}};
  for (const auto& [name, split] : files) {
    const auto csv = join(join(dir, "data"), name);
    if (!fs::is_regular_file(csv))
      throw InputError(csv + ": missing (Fluent Speech Commands keeps data/{train,valid,test}_data.csv)");
    const auto table = read_csv_table(csv);
    const size_t path_col = table.column("path"), speaker_col = table.column("speakerId"),
                 text_col = table.column("transcription"), action_col = table.column("action"),
                 object_col = table.column("object"), location_col = table.column("location");
    for (const auto& row : table.rows) {
      const std::string where = csv + ":" + std::to_string(row.line) + ": ";
      const auto& f = row.fields;
      for (const size_t c : {path_col, speaker_col, action_col, object_col, location_col})
        if (f[c].empty()) throw InputError(where + "empty '" + table.header[c] + "'");
      if (!inside_corpus(f[path_col]))
        throw InputError(where + "'" + f[path_col] + "' is not a path inside the corpus");
      const auto wav = join(dir, f[path_col]);
      if (!fs::is_regular_file(wav)) throw InputError(where + "'" + f[path_col] + "' does not exist");
      split->push_back(
          {wav, f[action_col] + "|" + f[object_col] + "|" + f[location_col], f[speaker_col], f[text_col]});
    }
  }
  return out;
}

double wav_duration_seconds(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open");
  const auto bad = [&](const std::string& why) {
    return InputError(path + ": not a usable WAV file (" + why + ")");
  };
  unsigned char head[12];
  if (!in.read(reinterpret_cast<char*>(head), 12) || std::memcmp(head, "RIFF", 4) ||
      std::memcmp(head + 8, "WAVE", 4))
    throw bad("no RIFF/WAVE header");
  uint32_t rate = 0, block_align = 0;
  for (;;) {
    unsigned char chunk[8];
    if (!in.read(reinterpret_cast<char*>(chunk), 8)) throw bad("no data chunk");
    const uint32_t size = le32(chunk + 4);
    if (!std::memcmp(chunk, "fmt ", 4)) {
      unsigned char fmt[16];
      if (size < 16 || !in.read(reinterpret_cast<char*>(fmt), 16)) throw bad("short fmt chunk");
      rate = le32(fmt + 4);
      block_align = le16(fmt + 12);
      if (!rate || !block_align) throw bad("zero sample rate or frame size");
      in.seekg(size - 16 + (size & 1), std::ios::cur);
    } else if (!std::memcmp(chunk, "data", 4)) {
      if (!rate) throw bad("data chunk before the fmt chunk");
      // A streamed WAV may leave the size 0 or 0xFFFFFFFF, a truncated one claims too much: trust the file.
      const auto here = static_cast<uint64_t>(in.tellg());
      in.seekg(0, std::ios::end);
      const uint64_t available = static_cast<uint64_t>(in.tellg()) - here;
      const uint64_t bytes = size == 0 || size == 0xFFFFFFFFu || size > available ? available : size;
      return static_cast<double>(bytes / block_align) / rate;
    } else {
      in.seekg(static_cast<std::streamoff>(size) + (size & 1), std::ios::cur);
    }
  }
}

}  // namespace softprompt::recipes
