#include "modalities/speech/mel_spectrogram.h"

#include <torch/torch.h>

#include <cmath>

#include "core/errors.h"
#include "modalities/speech/fft.h"

namespace softprompt::modalities::speech {
namespace {

at::Tensor periodic_window(WindowType type, int64_t length) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  switch (type) {
    case WindowType::kHann:
      return at::hann_window(length, /*periodic=*/true, opts);
    case WindowType::kHamming:
      return at::hamming_window(length, /*periodic=*/true, opts);
    case WindowType::kRectangular:
      return at::ones({length}, opts);
  }
  return {};
}

torch::nn::functional::PadFuncOptions::mode_t torch_pad_mode(PadMode mode) {
  switch (mode) {
    case PadMode::kReflect:
      return torch::kReflect;
    case PadMode::kConstant:
      return torch::kConstant;
    case PadMode::kReplicate:
      return torch::kReplicate;
    case PadMode::kCircular:
      return torch::kCircular;
  }
  return torch::kReflect;
}

}  // namespace

WindowType parse_window_type(const std::string& name) {
  if (name == "hann") return WindowType::kHann;
  if (name == "hamming") return WindowType::kHamming;
  if (name == "rectangular") return WindowType::kRectangular;
  throw InputError("unknown window '" + name + "' (expected hann, hamming or rectangular)");
}

PadMode parse_pad_mode(const std::string& name) {
  if (name == "reflect") return PadMode::kReflect;
  if (name == "constant") return PadMode::kConstant;
  if (name == "replicate") return PadMode::kReplicate;
  if (name == "circular") return PadMode::kCircular;
  throw InputError("unknown pad mode '" + name + "' (expected reflect, constant, replicate or circular)");
}

MelSpectrogram::MelSpectrogram(MelSpectrogramOptions o) : options_(o) {
  if (o.n_fft < 2) throw InputError("mel spectrogram: n_fft must be >= 2, got " + std::to_string(o.n_fft));
  if (o.win_length <= 0) options_.win_length = o.n_fft;
  if (options_.win_length > o.n_fft)
    throw InputError("mel spectrogram: win_length " + std::to_string(options_.win_length) +
                     " exceeds n_fft " + std::to_string(o.n_fft));
  if (o.hop_length <= 0) options_.hop_length = std::max<int64_t>(1, options_.win_length / 2);
  if (o.f_max <= 0.0) options_.f_max = static_cast<double>(o.sample_rate / 2);
  if (o.pad < 0) throw InputError("mel spectrogram: pad must be >= 0, got " + std::to_string(o.pad));
  if (!(o.power > 0.0))
    throw InputError("mel spectrogram: power must be > 0, got " + std::to_string(o.power));
  // The window is zero-padded to n_fft and centred, as torch.stft does for win_length < n_fft.
  const int64_t left = (o.n_fft - options_.win_length) / 2;
  window_ = at::constant_pad_nd(periodic_window(o.window, options_.win_length),
                                {left, o.n_fft - options_.win_length - left}, 0.0);
  filterbank_ = melscale_fbanks(o.n_fft / 2 + 1, o.f_min, options_.f_max, o.n_mels, o.sample_rate, o.norm,
                                o.mel_scale, at::kFloat);
  fb_double_ = filterbank_.to(at::kDouble);
}

int64_t MelSpectrogram::num_frames(int64_t num_samples) const {
  const int64_t padded = num_samples + 2 * options_.pad + (options_.center ? 2 * (options_.n_fft / 2) : 0);
  return padded < options_.n_fft ? 0 : 1 + (padded - options_.n_fft) / options_.hop_length;
}

at::Tensor MelSpectrogram::mel_f64(const at::Tensor& waveform) const {
  // [N] | [B,N] -> [B,F,n_mels] float64 on the CPU
  TORCH_CHECK(waveform.dim() == 1 || waveform.dim() == 2,
              "mel spectrogram: waveform must be [N] or [B,N], got ", waveform.sizes());
  TORCH_CHECK(waveform.is_floating_point(), "mel spectrogram: waveform must be float, got ",
              waveform.scalar_type());
  const MelSpectrogramOptions& o = options_;
  at::Tensor x = waveform.to(at::kCPU, at::kDouble);
  if (x.dim() == 1) x = x.unsqueeze(0);
  if (o.pad > 0) x = at::constant_pad_nd(x, {o.pad, o.pad}, 0.0);
  if (o.center) {
    const int64_t half = o.n_fft / 2;
    if (o.pad_mode == PadMode::kReflect && x.size(1) <= half)
      throw InputError("mel spectrogram: a waveform of " + std::to_string(x.size(1)) +
                       " samples is too short for reflect padding of " + std::to_string(half));
    namespace F = torch::nn::functional;
    x = F::pad(x.unsqueeze(1), F::PadFuncOptions({half, half}).mode(torch_pad_mode(o.pad_mode))).squeeze(1);
  }
  const int64_t batch = x.size(0);
  at::Tensor mel;
  if (x.size(1) < o.n_fft) {
    mel = at::zeros({batch, 0, o.n_mels}, x.options());
  } else {
    at::Tensor frames = x.unfold(/*dimension=*/1, o.n_fft, o.hop_length) * window_;  // [B,F,n_fft]
    at::Tensor spec = rfft_power(frames, o.power);                                   // [B,F,n_freqs]
    if (o.normalized) spec = spec * std::pow(window_.pow(2).sum().item<double>(), -o.power / 2.0);
    mel = at::matmul(spec, fb_double_);  // [B,F,n_mels]
  }
  return mel;
}

at::Tensor MelSpectrogram::mel(const at::Tensor& waveform) const {
  at::Tensor m = mel_f64(waveform);
  if (waveform.dim() == 1) m = m.squeeze(0);
  return m.to(waveform.device(), at::kFloat);
}

at::Tensor MelSpectrogram::log_mel(const at::Tensor& waveform) const {
  at::Tensor m = at::log(mel_f64(waveform) + options_.log_offset);
  if (waveform.dim() == 1) m = m.squeeze(0);
  return m.to(waveform.device(), at::kFloat);
}

at::Tensor mel_spectrogram(const at::Tensor& waveform, const MelSpectrogramOptions& options) {
  return MelSpectrogram(options).mel(waveform);
}

at::Tensor log_mel_spectrogram(const at::Tensor& waveform, const MelSpectrogramOptions& options) {
  return MelSpectrogram(options).log_mel(waveform);
}

}  // namespace softprompt::modalities::speech
