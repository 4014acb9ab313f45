#include "modalities/speech/kaldi_features.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "core/errors.h"
#include "modalities/speech/fft.h"
#include "modalities/speech/mel_scale.h"

namespace softprompt::modalities::speech {
namespace {

// torchaudio floors energies at float32's epsilon whatever the dtype (log floor -15.94).
constexpr double kEpsilon = std::numeric_limits<float>::epsilon();

struct FrameGeometry {
  int64_t shift = 0;
  int64_t size = 0;
  int64_t padded = 0;  // the FFT size
};

FrameGeometry geometry(const KaldiFrameOptions& o) {
  FrameGeometry g;
  // int(...) truncation, as torchaudio's _get_waveform_and_window_properties.
  g.shift = static_cast<int64_t>(o.sample_frequency * o.frame_shift_ms * 0.001);
  g.size = static_cast<int64_t>(o.sample_frequency * o.frame_length_ms * 0.001);
  if (g.size < 2 || g.shift < 1) {
    std::ostringstream m;
    m << "kaldi features: frame length " << o.frame_length_ms << " ms / shift " << o.frame_shift_ms
      << " ms at " << o.sample_frequency << " Hz give a window of " << g.size << " and a shift of " << g.shift
      << " samples";
    throw InputError(m.str());
  }
  g.padded = g.size;
  if (o.round_to_power_of_two)
    while (g.padded & (g.padded - 1)) g.padded += g.padded & -g.padded;  // round up to a power of two
  if (o.dither < 0.0 || o.energy_floor < 0.0 || o.preemphasis_coefficient < 0.0 ||
      o.preemphasis_coefficient > 1.0)
    throw InputError("kaldi features: dither, energy_floor must be >= 0 and preemphasis in [0,1]");
  return g;
}

at::Tensor window_function(KaldiWindow type, int64_t size, double blackman_coeff) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor n = at::arange(size, opts);
  const double a = 2.0 * M_PI / static_cast<double>(size - 1);
  switch (type) {
    case KaldiWindow::kHanning:
      return 0.5 - 0.5 * at::cos(a * n);
    case KaldiWindow::kHamming:
      return 0.54 - 0.46 * at::cos(a * n);
    case KaldiWindow::kPovey:
      return (0.5 - 0.5 * at::cos(a * n)).pow(0.85);
    case KaldiWindow::kRectangular:
      return at::ones({size}, opts);
    case KaldiWindow::kBlackman:
      return blackman_coeff - 0.5 * at::cos(a * n) + (0.5 - blackman_coeff) * at::cos(2.0 * a * n);
  }
  return {};
}

// [B,N] -> [B,F,size]. snip_edges: whole frames only; otherwise torchaudio's reflected edges (the reflection
// repeats the edge sample: [2,1,0 | 0,1,2 ... | ...]) and (N + shift/2) / shift frames.
at::Tensor strided_frames(const at::Tensor& x, const FrameGeometry& g, bool snip_edges) {
  const int64_t n = x.size(1);
  if (snip_edges) {
    if (n < g.size) return at::zeros({x.size(0), 0, g.size}, x.options());
    return x.unfold(1, g.size, g.shift);
  }
  const int64_t m = (n + g.shift / 2) / g.shift;
  const at::Tensor reversed = x.flip({1});
  const int64_t pad = g.size / 2 - g.shift / 2;
  at::Tensor padded = pad > 0 ? at::cat({reversed.slice(1, std::max<int64_t>(0, n - pad)), x, reversed}, 1)
                              : at::cat({x.slice(1, std::min(n, -pad)), reversed}, 1);
  if (m == 0) return at::zeros({x.size(0), 0, g.size}, x.options());
  if (padded.size(1) < (m - 1) * g.shift + g.size)
    throw InputError("kaldi features: a waveform of " + std::to_string(n) +
                     " samples is too short to frame " + "without snip_edges");
  return padded.unfold(1, g.size, g.shift).slice(1, 0, m);
}

struct FrameSpectrum {
  at::Tensor spectrum;    // [B,F,padded/2+1] float64
  at::Tensor log_energy;  // [B,F] float64
};

at::Tensor log_energy(const at::Tensor& frames, double energy_floor) {
  at::Tensor e = frames.pow(2).sum(-1).clamp_min(kEpsilon).log();
  return energy_floor == 0.0 ? e : e.clamp_min(std::log(energy_floor));
}

// torchaudio's _get_window + rfft: dither, DC removal, raw energy, pre-emphasis, window, zero padding, FFT.
FrameSpectrum frame_spectrum(const at::Tensor& x, const KaldiFrameOptions& o, bool use_power) {
  const FrameGeometry g = geometry(o);
  at::Tensor frames;
  if (static_cast<double>(x.size(1)) < o.min_duration * o.sample_frequency)
    frames = at::zeros({x.size(0), 0, g.size}, x.options());
  else
    frames = strided_frames(x, g, o.snip_edges);
  if (o.dither != 0.0) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.dither_seed);
    frames = frames + o.dither * at::randn(frames.sizes(), gen, frames.options());
  }
  if (o.remove_dc_offset) frames = frames - frames.mean(-1, /*keepdim=*/true);
  FrameSpectrum out;
  if (o.raw_energy) out.log_energy = log_energy(frames, o.energy_floor);
  if (o.preemphasis_coefficient != 0.0) {
    // The first sample's predecessor is itself (replicate padding).
    at::Tensor prev = at::cat({frames.slice(-1, 0, 1), frames.slice(-1, 0, -1)}, -1);
    frames = frames - o.preemphasis_coefficient * prev;
  }
  frames = frames * window_function(o.window_type, g.size, o.blackman_coeff);
  if (g.padded > g.size) frames = at::constant_pad_nd(frames, {0, g.padded - g.size}, 0.0);
  if (!o.raw_energy) out.log_energy = log_energy(frames, o.energy_floor);
  out.spectrum = rfft_power(frames, use_power ? 2.0 : 1.0);
  return out;
}

at::Tensor as_batch(const at::Tensor& waveform, const char* what) {
  TORCH_CHECK(waveform.dim() == 1 || waveform.dim() == 2, what, ": waveform must be [N] or [B,N], got ",
              waveform.sizes());
  TORCH_CHECK(waveform.is_floating_point(), what, ": waveform must be float, got ", waveform.scalar_type());
  at::Tensor x = waveform.to(at::kCPU, at::kDouble);
  return x.dim() == 1 ? x.unsqueeze(0) : x;
}

at::Tensor finish(at::Tensor features, bool subtract_mean, const at::Tensor& waveform) {
  // [B,F,K] float64 -> float32 on the waveform's device, batch dim dropped for a [N] input.
  if (subtract_mean && features.size(1) > 0) features = features - features.mean(1, /*keepdim=*/true);
  if (waveform.dim() == 1) features = features.squeeze(0);
  return features.to(waveform.device(), at::kFloat);
}

void check_vtln(double warp) {
  if (warp != 1.0)
    throw InputError("kaldi features: vtln_warp " + std::to_string(warp) + " is not supported (1.0)");
}

// Log (or linear) mel energies [B,F,bins] and the frame log energy [B,F], both float64.
FrameSpectrum mel_energies(const at::Tensor& x, const KaldiFrameOptions& frame, int64_t bins, double low,
                           double high, bool use_power, bool use_log) {
  const FrameGeometry g = geometry(frame);
  // The banks are built in float32 as torchaudio does, then applied in float64.
  const at::Tensor banks = kaldi_mel_banks(bins, g.padded, frame.sample_frequency, low, high).to(at::kDouble);
  FrameSpectrum s = frame_spectrum(x, frame, use_power);
  at::Tensor mel = at::matmul(s.spectrum, banks.t());
  if (use_log) mel = mel.clamp_min(kEpsilon).log();
  return {mel, s.log_energy};
}

}  // namespace

KaldiWindow parse_kaldi_window(const std::string& name) {
  if (name == "hamming") return KaldiWindow::kHamming;
  if (name == "hanning") return KaldiWindow::kHanning;
  if (name == "povey") return KaldiWindow::kPovey;
  if (name == "rectangular") return KaldiWindow::kRectangular;
  if (name == "blackman") return KaldiWindow::kBlackman;
  throw InputError("unknown kaldi window '" + name +
                   "' (expected hamming, hanning, povey, rectangular, blackman)");
}

int64_t kaldi_num_frames(int64_t num_samples, const KaldiFrameOptions& options) {
  const FrameGeometry g = geometry(options);
  if (static_cast<double>(num_samples) < options.min_duration * options.sample_frequency) return 0;
  if (!options.snip_edges) return (num_samples + g.shift / 2) / g.shift;
  return num_samples < g.size ? 0 : 1 + (num_samples - g.size) / g.shift;
}

at::Tensor kaldi_fbank(const at::Tensor& waveform, const FbankOptions& o) {
  check_vtln(o.vtln_warp);
  const at::Tensor x = as_batch(waveform, "kaldi_fbank");
  FrameSpectrum s =
      mel_energies(x, o.frame, o.num_mel_bins, o.low_freq, o.high_freq, o.use_power, o.use_log_fbank);
  at::Tensor features = s.spectrum;
  if (o.use_energy) {
    const at::Tensor e = s.log_energy.unsqueeze(-1);
    features = o.htk_compat ? at::cat({features, e}, -1) : at::cat({e, features}, -1);
  }
  return finish(features, o.subtract_mean, waveform);
}

at::Tensor kaldi_mfcc(const at::Tensor& waveform, const MfccOptions& o) {
  check_vtln(o.vtln_warp);
  if (o.num_ceps < 1 || o.num_ceps > o.num_mel_bins)
    throw InputError("kaldi_mfcc: num_ceps " + std::to_string(o.num_ceps) + " must be in [1, num_mel_bins " +
                     std::to_string(o.num_mel_bins) + "]");
  const at::Tensor x = as_batch(waveform, "kaldi_mfcc");
  FrameSpectrum s = mel_energies(x, o.frame, o.num_mel_bins, o.low_freq, o.high_freq, /*use_power=*/true,
                                 /*use_log=*/true);
  // Orthonormal DCT-II with Kaldi's c0 scale sqrt(1/N): [num_mel_bins, num_ceps].
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const double bins = static_cast<double>(o.num_mel_bins);
  const at::Tensor n = at::arange(o.num_mel_bins, opts).unsqueeze(1);
  const at::Tensor k = at::arange(o.num_ceps, opts).unsqueeze(0);
  at::Tensor dct = std::sqrt(2.0 / bins) * at::cos(M_PI / bins * (n + 0.5) * k);
  dct.select(1, 0).fill_(std::sqrt(1.0 / bins));
  at::Tensor features = at::matmul(s.spectrum, dct);  // [B,F,num_ceps]
  if (o.cepstral_lifter != 0.0) {
    const double q = o.cepstral_lifter;
    features = features * (1.0 + 0.5 * q * at::sin(M_PI * at::arange(o.num_ceps, opts) / q));
  }
  if (o.use_energy) features.select(-1, 0).copy_(s.log_energy);
  if (o.htk_compat) {
    at::Tensor energy = features.slice(-1, 0, 1);
    if (!o.use_energy) energy = energy * std::sqrt(2.0);
    features = at::cat({features.slice(-1, 1), energy}, -1);
  }
  return finish(features, o.subtract_mean, waveform);
}

}  // namespace softprompt::modalities::speech
