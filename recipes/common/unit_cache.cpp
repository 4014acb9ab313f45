#include "recipes/common/unit_cache.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "modalities/speech/audio_io.h"

namespace fs = std::filesystem;

namespace softprompt::recipes {
namespace {

constexpr int64_t kRate = 16000;

std::string clip_key(const SpeechExample& c) {
  std::error_code ec;
  const auto size = fs::file_size(c.path, ec);
  const auto mtime = fs::last_write_time(c.path, ec).time_since_epoch().count();
  std::ostringstream k;
  k << c.path << '|' << c.start_s << '|' << c.duration_s << '|' << size << '|' << mtime;
  return k.str();
}

// A file name for a corpus folder: its last component plus a hash of the whole path.
std::string file_name(const std::string& corpus_key) {
  const auto h = std::hash<std::string>{}(corpus_key);
  std::ostringstream s;
  s << fs::path(corpus_key).filename().string() << '_' << std::hex << h << ".tsv";
  return s.str();
}

}  // namespace

at::Tensor load_clip(const SpeechExample& clip) {
  auto wave = modalities::speech::load_audio(clip.path, kRate);
  if (clip.duration_s <= 0 && clip.start_s <= 0) return wave;
  const auto begin = static_cast<int64_t>(std::llround(clip.start_s * kRate));
  const auto length = clip.duration_s > 0 ? static_cast<int64_t>(std::llround(clip.duration_s * kRate))
                                          : wave.size(0) - begin;
  if (begin < 0 || length <= 0 || begin + length > wave.size(0))
    throw InputError(clip.path + ": window [" + std::to_string(clip.start_s) + " s, +" +
                     std::to_string(clip.duration_s) + " s] lies outside the " +
                     std::to_string(static_cast<double>(wave.size(0)) / kRate) + " s file");
  return wave.slice(0, begin, begin + length);
}

std::string units_to_text(const at::Tensor& units) {
  const auto u = units.to(torch::kCPU, torch::kLong).contiguous();
  std::string out;
  const int64_t* p = u.data_ptr<int64_t>();
  for (int64_t i = 0; i < u.numel(); ++i) out += (i ? " " : "") + std::to_string(p[i]);
  return out;
}

UnitCache::UnitCache(std::string dir, std::string encoder_hash)
    : dir_(std::move(dir)), encoder_hash_(std::move(encoder_hash)) {}

std::vector<std::string> UnitCache::units(const std::string& corpus_key, const std::vector<SpeechExample>& clips,
                                          const UnitEncodeFn& encode) {
  hits_ = encoded_ = 0;
  const std::string path = dir_.empty() ? "" : (fs::path(dir_) / encoder_hash_ / file_name(corpus_key)).string();
  std::map<std::string, std::string> cached;
  if (!path.empty()) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      const auto tab = line.find('\t');
      if (tab != std::string::npos) cached[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  std::vector<std::string> out;
  out.reserve(clips.size());
  for (const auto& c : clips) {
    const auto key = clip_key(c);
    auto it = cached.find(key);
    if (it != cached.end()) {
      ++hits_;
      out.push_back(it->second);
      continue;
    }
    const at::Tensor u = encode(load_clip(c));
    if (u.numel() == 0) throw InputError(c.path + ": the encoder produced no units (clip too short)");
    ++encoded_;
    out.push_back(cached[key] = units_to_text(u));
  }
  if (!path.empty() && encoded_ > 0) {
    std::string text;
    for (const auto& [k, v] : cached) text += k + "\t" + v + "\n";
    fs::create_directories(fs::path(path).parent_path());
    core::io::write_file_atomically(path, text);
  }
  return out;
}

}  // namespace softprompt::recipes
