#pragma once
// Log-mel spectrogram in the style of torchaudio.transforms.MelSpectrogram (torch.stft framing, periodic
// window, power spectrum, mel filterbank), with FFTW doing the transforms. Computed in float64, returned as
// float32.
//
// Layout: time-major, [frames, n_mels] for a [N] waveform and [B, frames, n_mels] for a [B, N] batch
// (torchaudio returns [..., n_mels, frames]; time-major is what models and k-means consume).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "modalities/speech/mel_scale.h"

namespace softprompt::modalities::speech {

enum class WindowType { kHann, kHamming, kRectangular };  // periodic, as torch.*_window defaults
enum class PadMode { kReflect, kConstant, kReplicate, kCircular };

WindowType parse_window_type(const std::string& name);  // "hann" | "hamming" | "rectangular"
PadMode parse_pad_mode(const std::string& name);        // "reflect" | "constant" | "replicate" | "circular"

// torchaudio.transforms.MelSpectrogram's arguments and defaults.
struct MelSpectrogramOptions {
  int64_t sample_rate = 16000;
  int64_t n_fft = 400;
  int64_t win_length = 0;  // 0: n_fft (the window is zero-padded to n_fft, centred)
  int64_t hop_length = 0;  // 0: win_length / 2
  double f_min = 0.0;
  double f_max = 0.0;  // <= 0: sample_rate / 2
  int64_t pad = 0;     // zeros added on both sides before framing
  int64_t n_mels = 128;
  WindowType window = WindowType::kHann;
  double power = 2.0;       // exponent of the magnitude (2 = power)
  bool normalized = false;  // divide the magnitude by sqrt(sum(window^2))
  bool center = true;       // pad n_fft/2 on both sides with pad_mode so frame t is centred on t*hop
  PadMode pad_mode = PadMode::kReflect;
  MelNorm norm = MelNorm::kNone;
  MelScale mel_scale = MelScale::kHtk;
  double log_offset = 1e-6;  // log_mel: log(mel + log_offset), the usual guard against log(0)
};

// A configured front end: the window and the filterbank are built once and reused for every call.
class MelSpectrogram {
 public:
  // Throws InputError for inconsistent options (win_length > n_fft, hop < 1, f_min >= f_max, ...).
  explicit MelSpectrogram(MelSpectrogramOptions options = {});
  // Mel power spectrogram: waveform [N] or [B,N] (float, any device) -> [F,n_mels] or [B,F,n_mels] float32.
  at::Tensor mel(const at::Tensor& waveform) const;
  // log(mel + log_offset), same shapes.
  at::Tensor log_mel(const at::Tensor& waveform) const;
  // Number of frames for n samples.
  int64_t num_frames(int64_t num_samples) const;
  // [n_fft/2+1, n_mels] float32: the matrix torchaudio's MelScale uses.
  at::Tensor filterbank() const { return filterbank_; }
  const MelSpectrogramOptions& options() const { return options_; }

 private:
  at::Tensor mel_f64(const at::Tensor& waveform) const;  // [N]|[B,N] -> [B,F,n_mels] float64, CPU
  MelSpectrogramOptions options_;
  at::Tensor window_;      // [n_fft] float64
  at::Tensor filterbank_;  // [n_freqs, n_mels] float32 (torchaudio's dtype)
  at::Tensor fb_double_;   // the same in float64 for the product
};

// One-shot helpers (build a MelSpectrogram and run it).
at::Tensor mel_spectrogram(const at::Tensor& waveform, const MelSpectrogramOptions& options = {});
at::Tensor log_mel_spectrogram(const at::Tensor& waveform, const MelSpectrogramOptions& options = {});

}  // namespace softprompt::modalities::speech
