#pragma once
// Audio files in and out: libsndfile decodes and encodes (WAV, FLAC, OGG/Vorbis and the rest of its formats),
// soxr resamples. Samples are float32 in [-1, 1] (libsndfile's normalisation of integer PCM).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace softprompt::modalities::speech {

// A decoded file at its own rate and channel count.
struct AudioClip {
  at::Tensor samples;  // [C,N] float32
  int64_t sample_rate = 0;
};

// Decodes `path` as stored. Throws IoError when the file cannot be opened (missing, unreadable) and
// InputError, naming the file, when it is empty, corrupt, of an unsupported format or has no samples.
AudioClip decode_audio(const std::string& path);

// The usual entry point: decode, average the channels to mono, resample to `sample_rate` (<= 0 keeps the
// file's rate). -> [N] float32.
at::Tensor load_audio(const std::string& path, int64_t sample_rate = 16000);

// [C,N] -> [N]: the mean over channels ([N] is returned as is).
at::Tensor to_mono(const at::Tensor& samples);

enum class ResampleQuality { kQuick, kLow, kMedium, kHigh, kVeryHigh };  // soxr's QQ, LQ, MQ, HQ, VHQ

// Band-limited resampling with soxr: [N] or [C,N] float (any device) -> [round(N*to/from)] or [C, ...]
// float32. Throws InputError for non-positive rates.
at::Tensor resample(const at::Tensor& samples, double from_rate, double to_rate,
                    ResampleQuality quality = ResampleQuality::kHigh);

struct AudioWriteOptions {
  bool float_samples = false;  // WAV only: 32-bit float samples instead of 16-bit PCM
};

// Encodes samples [N] or [C,N] (float, clipped to [-1,1] for PCM) at `sample_rate` into `path`, the container
// chosen by the extension: .wav (PCM16 or float), .flac (PCM16), .ogg (Vorbis). The file is written
// atomically. Throws InputError for an unknown extension or bad samples, IoError when the file cannot be
// written.
void save_audio(const std::string& path, const at::Tensor& samples, int64_t sample_rate,
                const AudioWriteOptions& options = {});

}  // namespace softprompt::modalities::speech
