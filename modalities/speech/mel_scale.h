#pragma once
// Mel filterbanks, written with the same tensor operations (and, by default, the same float32 dtype) as
// torchaudio 0.13 so that the matrices reproduce torchaudio's to float32 rounding:
//   melscale_fbanks  = torchaudio.functional.melscale_fbanks (MelSpectrogram's MelScale)
//   kaldi_mel_banks  = torchaudio.compliance.kaldi.get_mel_banks (fbank / mfcc), without VTLN warping.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace softprompt::modalities::speech {

enum class MelScale { kHtk, kSlaney };
enum class MelNorm { kNone, kSlaney };  // kSlaney: each triangle divided by its width (area normalisation)

// "htk" | "slaney"; "none" | "slaney". Throw InputError naming the value otherwise.
MelScale parse_mel_scale(const std::string& name);
MelNorm parse_mel_norm(const std::string& name);

double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// Triangular filters on the one-sided FFT bins: [n_freqs, n_mels] (mel = power_spec[..., n_freqs] @ fb).
// Bin frequencies are linspace(0, sample_rate // 2, n_freqs), as torchaudio. Throws InputError for f_min >=
// f_max, n_mels < 1 or n_freqs < 2.
at::Tensor melscale_fbanks(int64_t n_freqs, double f_min, double f_max, int64_t n_mels, int64_t sample_rate,
                           MelNorm norm = MelNorm::kNone, MelScale scale = MelScale::kHtk,
                           at::ScalarType dtype = at::kFloat);

// Kaldi's mel banks on the natural-log mel scale 1127 ln(1 + f/700): [num_bins, padded_window_size/2 + 1]
// (the Nyquist column is zero, as torchaudio pads it). high_freq <= 0 means nyquist + high_freq.
// Throws InputError when the frequencies are out of order or out of (0, nyquist].
at::Tensor kaldi_mel_banks(int64_t num_bins, int64_t padded_window_size, double sample_freq, double low_freq,
                           double high_freq, at::ScalarType dtype = at::kFloat);

}  // namespace softprompt::modalities::speech
