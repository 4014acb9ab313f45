#pragma once
// Kaldi filterbank and MFCC features, equal to torchaudio.compliance.kaldi.fbank / .mfcc (torchaudio 0.13),
// with FFTW doing the transforms in float64 (torchaudio's float32 FFT is the larger error source: see
// tests/fixtures/README.md "Audio features"). The option structs carry torchaudio's defaults, which differ
// from the Kaldi binaries' in one place: dither is 0.
//
// Layout: [frames, bins] for a [N] waveform and [B, frames, bins] for a [B, N] batch (each row framed alike).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace softprompt::modalities::speech {

enum class KaldiWindow { kHamming, kHanning, kPovey, kRectangular, kBlackman };
KaldiWindow parse_kaldi_window(const std::string& name);  // "hamming" | "hanning" | "povey" | ...

// Framing and per-frame processing shared by fbank and mfcc.
struct KaldiFrameOptions {
  double sample_frequency = 16000.0;
  double frame_length_ms = 25.0;
  double frame_shift_ms = 10.0;
  // Gaussian noise of this standard deviation added to every frame (Kaldi binaries: 1.0).
  double dither = 0.0;
  uint64_t dither_seed = 0;
  double preemphasis_coefficient = 0.97;
  bool remove_dc_offset = true;
  KaldiWindow window_type = KaldiWindow::kPovey;
  double blackman_coeff = 0.42;
  bool round_to_power_of_two = true;  // FFT size = next power of two of the window (400 -> 512)
  // true: only whole frames inside the signal; false: reflected edges, N/shift frames.
  bool snip_edges = true;
  bool raw_energy = true;  // log energy before pre-emphasis and windowing
  double energy_floor = 1.0;
  double min_duration = 0.0;  // seconds; shorter signals give zero frames
};

struct FbankOptions {
  KaldiFrameOptions frame;
  int64_t num_mel_bins = 23;
  double low_freq = 20.0;
  double high_freq = 0.0;   // <= 0: offset from the Nyquist frequency
  bool use_energy = false;  // add the log energy as a column (first, or last with htk_compat)
  bool use_log_fbank = true;
  bool use_power = true;  // power spectrum (else magnitude)
  bool htk_compat = false;
  bool subtract_mean = false;  // subtract each column's mean over the frames
  double vtln_warp = 1.0;      // only 1.0 (no warping) is supported
};

struct MfccOptions {
  KaldiFrameOptions frame;
  int64_t num_ceps = 13;
  int64_t num_mel_bins = 23;
  double low_freq = 20.0;
  double high_freq = 0.0;
  double cepstral_lifter = 22.0;
  bool use_energy = false;  // replace c0 by the log energy
  bool htk_compat = false;  // put c0 / energy last (c0 scaled by sqrt(2) when !use_energy)
  bool subtract_mean = false;
  double vtln_warp = 1.0;
};

// waveform [N] or [B,N] float (any device) -> [F, num_mel_bins (+1)] or [B, F, ...] float32. Throws
// InputError for invalid options.
at::Tensor kaldi_fbank(const at::Tensor& waveform, const FbankOptions& options = {});
// waveform [N] or [B,N] -> [F, num_ceps] or [B, F, num_ceps] float32.
at::Tensor kaldi_mfcc(const at::Tensor& waveform, const MfccOptions& options = {});

// Frames the options produce for n samples.
int64_t kaldi_num_frames(int64_t num_samples, const KaldiFrameOptions& options);

}  // namespace softprompt::modalities::speech
