#include "modalities/speech/mel_scale.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "core/errors.h"

namespace softprompt::modalities::speech {
namespace {

// Slaney's (librosa / torchaudio) scale: linear below 1 kHz, logarithmic above.
constexpr double kSlaneyFSp = 200.0 / 3.0;
constexpr double kSlaneyMinLogHz = 1000.0;
constexpr double kSlaneyMinLogMel = kSlaneyMinLogHz / kSlaneyFSp;  // 15
const double kSlaneyLogStep = std::log(6.4) / 27.0;

// torchaudio's _mel_to_hz on a tensor, op for op.
at::Tensor mel_to_hz_tensor(const at::Tensor& mels, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (at::pow(10.0, mels / 2595.0) - 1.0);
  at::Tensor freqs = kSlaneyFSp * mels;
  at::Tensor log_t = mels >= kSlaneyMinLogMel;
  at::Tensor high = kSlaneyMinLogHz * at::exp(kSlaneyLogStep * (mels - kSlaneyMinLogMel));
  return at::where(log_t, high, freqs);
}

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

MelScale parse_mel_scale(const std::string& name) {
  if (name == "htk") return MelScale::kHtk;
  if (name == "slaney") return MelScale::kSlaney;
  throw InputError("unknown mel scale '" + name + "' (expected htk or slaney)");
}

MelNorm parse_mel_norm(const std::string& name) {
  if (name == "none" || name.empty()) return MelNorm::kNone;
  if (name == "slaney") return MelNorm::kSlaney;
  throw InputError("unknown mel norm '" + name + "' (expected none or slaney)");
}

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyMinLogHz) return hz / kSlaneyFSp;
  return kSlaneyMinLogMel + std::log(hz / kSlaneyMinLogHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyMinLogMel) return kSlaneyFSp * mel;
  return kSlaneyMinLogHz * std::exp(kSlaneyLogStep * (mel - kSlaneyMinLogMel));
}

at::Tensor melscale_fbanks(int64_t n_freqs, double f_min, double f_max, int64_t n_mels, int64_t sample_rate,
                           MelNorm norm, MelScale scale, at::ScalarType dtype) {
  if (n_freqs < 2 || n_mels < 1 || sample_rate < 1)
    throw InputError("melscale_fbanks: need n_freqs >= 2, n_mels >= 1, sample_rate >= 1 (got " +
                     std::to_string(n_freqs) + ", " + std::to_string(n_mels) + ", " +
                     std::to_string(sample_rate) + ")");
  if (!(f_min >= 0.0 && f_min < f_max))
    throw InputError("melscale_fbanks: need 0 <= f_min < f_max (got f_min " + num(f_min) + ", f_max " +
                     num(f_max) + ")");
  const auto opts = at::TensorOptions().dtype(dtype);
  // Integer division, as torchaudio's `sample_rate // 2`.
  at::Tensor all_freqs = at::linspace(0, static_cast<double>(sample_rate / 2), n_freqs, opts);
  at::Tensor m_pts = at::linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2, opts);
  at::Tensor f_pts = mel_to_hz_tensor(m_pts, scale);
  // _create_triangular_filterbank
  at::Tensor f_diff = f_pts.slice(0, 1) - f_pts.slice(0, 0, -1);    // [n_mels + 1]
  at::Tensor slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1);  // [n_freqs, n_mels + 2]
  at::Tensor down = (-1.0 * slopes.slice(1, 0, -2)) / f_diff.slice(0, 0, -1);
  at::Tensor up = slopes.slice(1, 2) / f_diff.slice(0, 1);
  at::Tensor fb = at::max(at::zeros(1, opts), at::min(down, up));
  if (norm == MelNorm::kSlaney) {
    at::Tensor enorm = 2.0 / (f_pts.slice(0, 2, n_mels + 2) - f_pts.slice(0, 0, n_mels));
    fb = fb * enorm.unsqueeze(0);
  }
  return fb;
}

at::Tensor kaldi_mel_banks(int64_t num_bins, int64_t padded_window_size, double sample_freq, double low_freq,
                           double high_freq, at::ScalarType dtype) {
  if (num_bins < 3)
    throw InputError("kaldi mel banks: num_mel_bins must be >= 3, got " + std::to_string(num_bins));
  if (padded_window_size < 2 || padded_window_size % 2 != 0)
    throw InputError("kaldi mel banks: the padded window size must be even, got " +
                     std::to_string(padded_window_size));
  const double nyquist = 0.5 * sample_freq;
  if (high_freq <= 0.0) high_freq += nyquist;
  if (!(low_freq >= 0.0 && low_freq < nyquist && high_freq > 0.0 && high_freq <= nyquist &&
        low_freq < high_freq))
    throw InputError("kaldi mel banks: bad frequencies low_freq " + num(low_freq) + ", high_freq " +
                     num(high_freq) + " for sample frequency " + num(sample_freq));
  const auto opts = at::TensorOptions().dtype(dtype);
  const int64_t num_fft_bins = padded_window_size / 2;
  const double fft_bin_width = sample_freq / static_cast<double>(padded_window_size);
  auto kaldi_mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  const double mel_low = kaldi_mel(low_freq);
  const double mel_high = kaldi_mel(high_freq);
  const double delta = (mel_high - mel_low) / static_cast<double>(num_bins + 1);
  at::Tensor bin = at::arange(num_bins, opts).unsqueeze(1);
  at::Tensor left = mel_low + bin * delta;
  at::Tensor center = mel_low + (bin + 1.0) * delta;
  at::Tensor right = mel_low + (bin + 2.0) * delta;
  at::Tensor mel =
      (1127.0 * (1.0 + (fft_bin_width * at::arange(num_fft_bins, opts)) / 700.0).log()).unsqueeze(0);
  at::Tensor up = (mel - left) / (center - left);
  at::Tensor down = (right - mel) / (right - center);
  at::Tensor banks = at::max(at::zeros(1, opts), at::min(up, down));  // [num_bins, num_fft_bins]
  return at::constant_pad_nd(banks, {0, 1}, 0.0);
}

}  // namespace softprompt::modalities::speech
