#include "modalities/speech/audio_io.h"

#include <sndfile.h>
#include <soxr.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::modalities::speech {
namespace {

// Guards against absurd headers: 2^31 samples is over 37 hours of mono 16 kHz audio.
constexpr int64_t kMaxSamples = int64_t{1} << 31;

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

void check_readable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError("audio file '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) throw IoError("audio file '" + path + "' is a directory");
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw IoError("cannot open audio file '" + path + "'");
  if (fs::file_size(path, ec) == 0) throw InputError("audio file '" + path + "' is empty");
}

// An in-memory file for libsndfile's virtual I/O, so that encoded bytes can be published atomically.
struct MemoryFile {
  std::string bytes;
  sf_count_t pos = 0;
};

SF_VIRTUAL_IO memory_io() {
  SF_VIRTUAL_IO io{};
  io.get_filelen = [](void* u) -> sf_count_t {
    return static_cast<sf_count_t>(static_cast<MemoryFile*>(u)->bytes.size());
  };
  io.seek = [](sf_count_t offset, int whence, void* u) -> sf_count_t {
    auto* m = static_cast<MemoryFile*>(u);
    const sf_count_t base =
        whence == SEEK_SET ? 0 : (whence == SEEK_CUR ? m->pos : static_cast<sf_count_t>(m->bytes.size()));
    m->pos = std::max<sf_count_t>(0, base + offset);
    return m->pos;
  };
  io.read = [](void* ptr, sf_count_t count, void* u) -> sf_count_t {
    auto* m = static_cast<MemoryFile*>(u);
    const sf_count_t avail = std::max<sf_count_t>(0, static_cast<sf_count_t>(m->bytes.size()) - m->pos);
    const sf_count_t n = std::min(count, avail);
    if (n > 0) std::memcpy(ptr, m->bytes.data() + m->pos, static_cast<size_t>(n));
    m->pos += n;
    return n;
  };
  io.write = [](const void* ptr, sf_count_t count, void* u) -> sf_count_t {
    auto* m = static_cast<MemoryFile*>(u);
    const size_t end = static_cast<size_t>(m->pos + count);
    if (m->bytes.size() < end) m->bytes.resize(end);
    std::memcpy(&m->bytes[static_cast<size_t>(m->pos)], ptr, static_cast<size_t>(count));
    m->pos += count;
    return count;
  };
  io.tell = [](void* u) -> sf_count_t { return static_cast<MemoryFile*>(u)->pos; };
  return io;
}

int format_for(const std::string& path, const AudioWriteOptions& options) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".wav") return SF_FORMAT_WAV | (options.float_samples ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
  if (ext == ".flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  if (ext == ".ogg") return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  throw InputError("cannot write audio '" + path + "': unknown extension '" + ext +
                   "' (use .wav, .flac or .ogg)");
}

unsigned long soxr_recipe(ResampleQuality q) {
  switch (q) {
    case ResampleQuality::kQuick:
      return SOXR_QQ;
    case ResampleQuality::kLow:
      return SOXR_LQ;
    case ResampleQuality::kMedium:
      return SOXR_MQ;
    case ResampleQuality::kHigh:
      return SOXR_HQ;
    case ResampleQuality::kVeryHigh:
      return SOXR_VHQ;
  }
  return SOXR_HQ;
}

}  // namespace

AudioClip decode_audio(const std::string& path) {
  check_readable(path);
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    throw InputError("cannot decode audio file '" + path + "': " + sf_strerror(nullptr) +
                     " (corrupt or unsupported format)");
  if (info.channels < 1 || info.samplerate < 1)
    throw InputError("audio file '" + path + "' has " + std::to_string(info.channels) + " channels at " +
                     std::to_string(info.samplerate) + " Hz");
  const int64_t channels = info.channels;
  // Read until EOF rather than trusting the header's frame count (truncated files report more than they
  // hold).
  std::vector<float> interleaved;
  std::vector<float> chunk(static_cast<size_t>(channels) * 16384);
  while (true) {
    const sf_count_t got = sf_readf_float(file.get(), chunk.data(), 16384);
    if (got <= 0) break;
    interleaved.insert(interleaved.end(), chunk.begin(), chunk.begin() + got * channels);
    if (static_cast<int64_t>(interleaved.size()) > kMaxSamples)
      throw InputError("audio file '" + path + "' is too long (over 2^31 samples)");
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR)
    throw InputError("cannot decode audio file '" + path + "': " + sf_strerror(file.get()));
  const int64_t frames = static_cast<int64_t>(interleaved.size()) / channels;
  if (frames == 0) throw InputError("audio file '" + path + "' contains no samples");
  at::Tensor data = torch::from_blob(interleaved.data(), {frames, channels}, at::kFloat);
  AudioClip clip;
  clip.samples = data.t().clone(at::MemoryFormat::Contiguous);  // [C,N]; a copy, as `interleaved` dies here
  clip.sample_rate = info.samplerate;
  return clip;
}

at::Tensor to_mono(const at::Tensor& samples) {
  TORCH_CHECK(samples.dim() == 1 || samples.dim() == 2, "to_mono: expected [N] or [C,N], got ",
              samples.sizes());
  if (samples.dim() == 1) return samples;
  return samples.size(0) == 1 ? samples[0] : samples.mean(0);
}

at::Tensor resample(const at::Tensor& samples, double from_rate, double to_rate, ResampleQuality quality) {
  TORCH_CHECK(samples.dim() == 1 || samples.dim() == 2, "resample: expected [N] or [C,N], got ",
              samples.sizes());
  if (!(from_rate > 0.0) || !(to_rate > 0.0))
    throw InputError("resample: rates must be > 0 (got " + std::to_string(from_rate) + " -> " +
                     std::to_string(to_rate) + ")");
  at::Tensor x = samples.to(at::kCPU, at::kFloat).contiguous();
  if (from_rate == to_rate) return x.to(samples.device());
  const bool single = x.dim() == 1;
  if (single) x = x.unsqueeze(0);
  const int64_t n = x.size(1);
  const int64_t out_len = static_cast<int64_t>(std::llround(static_cast<double>(n) * to_rate / from_rate));
  at::Tensor out = at::zeros({x.size(0), out_len}, x.options());
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(soxr_recipe(quality), 0);
  for (int64_t c = 0; c < x.size(0); ++c) {
    size_t done = 0;
    soxr_error_t err =
        soxr_oneshot(from_rate, to_rate, 1, x[c].data_ptr<float>(), static_cast<size_t>(n), nullptr,
                     out[c].data_ptr<float>(), static_cast<size_t>(out_len), &done, &io, &q, nullptr);
    if (err) throw InputError(std::string("resample: soxr failed: ") + err);
  }
  if (single) out = out.squeeze(0);
  return out.to(samples.device());
}

at::Tensor load_audio(const std::string& path, int64_t sample_rate) {
  AudioClip clip = decode_audio(path);
  at::Tensor mono = to_mono(clip.samples);
  if (sample_rate <= 0 || sample_rate == clip.sample_rate) return mono.contiguous();
  return resample(mono, static_cast<double>(clip.sample_rate), static_cast<double>(sample_rate));
}

void save_audio(const std::string& path, const at::Tensor& samples, int64_t sample_rate,
                const AudioWriteOptions& options) {
  TORCH_CHECK(samples.dim() == 1 || samples.dim() == 2, "save_audio: expected [N] or [C,N], got ",
              samples.sizes());
  if (sample_rate < 1)
    throw InputError("save_audio: sample rate must be >= 1, got " + std::to_string(sample_rate));
  at::Tensor x = samples.to(at::kCPU, at::kFloat);
  if (x.dim() == 1) x = x.unsqueeze(0);
  if (x.size(0) < 1 || x.size(1) < 1) throw InputError("save_audio: nothing to write to '" + path + "'");
  if (!at::isfinite(x).all().item<bool>())
    throw InputError("save_audio: non-finite samples for '" + path + "'");
  const at::Tensor interleaved = x.t().contiguous();  // [N,C]
  SF_INFO info{};
  info.samplerate = static_cast<int>(sample_rate);
  info.channels = static_cast<int>(x.size(0));
  info.format = format_for(path, options);
  if (!sf_format_check(&info))
    throw InputError("save_audio: libsndfile cannot write '" + path + "' in this format");
  MemoryFile memory;
  SF_VIRTUAL_IO io = memory_io();
  {
    SndfilePtr file(sf_open_virtual(&io, SFM_WRITE, &info, &memory));
    if (!file) throw IoError("save_audio: cannot encode '" + path + "': " + sf_strerror(nullptr));
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t frames = x.size(1);
    if (sf_writef_float(file.get(), interleaved.data_ptr<float>(), frames) != frames)
      throw IoError("save_audio: encoding '" + path + "' failed: " + sf_strerror(file.get()));
  }  // sf_close finalises the header into `memory`
  core::io::write_file_atomically(path, memory.bytes);
}

}  // namespace softprompt::modalities::speech
