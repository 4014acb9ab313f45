// `softprompt features --kind logmel|fbank|mfcc --audio FILE --outputs OUT.safetensors`: decodes an audio
// file (any libsndfile format, mixed to mono, resampled to --sample-rate) and writes its feature matrix under
// the key `features` [frames, bins] float32. Defaults are the fixture's (tests/fixtures/README.md "Audio
// features"):
//   logmel  torchaudio MelSpectrogram(n_fft 400, hop 160, 80 mels, HTK, periodic Hann, centre/reflect),
//   log(x+1e-6) fbank   torchaudio.compliance.kaldi.fbank with its defaults and 80 mel bins (dither 0, povey,
//   snip_edges) mfcc    torchaudio.compliance.kaldi.mfcc with its defaults (13 ceps, 23 mel bins, lifter 22)
#include <iostream>
#include <memory>
#include <string>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "modalities/speech/audio_io.h"
#include "modalities/speech/kaldi_features.h"
#include "modalities/speech/mel_spectrogram.h"
#include "recipes/cli/command.h"

namespace softprompt::cli {
namespace {

namespace speech = modalities::speech;

struct FeaturesArgs {
  std::string kind;
  std::string audio;
  std::string outputs;
  int64_t sample_rate = 16000;
  int64_t bins = 0;  // 0: 80 (logmel, fbank) or 23 (mfcc)
  int64_t num_ceps = 13;
  int64_t n_fft = 400;
  int64_t hop_length = 160;
  double frame_length_ms = 25.0;
  double frame_shift_ms = 10.0;
  double dither = 0.0;
  bool int16_scale = false;
};

at::Tensor compute(const FeaturesArgs& a, const at::Tensor& wave) {
  if (a.kind == "logmel") {
    speech::MelSpectrogramOptions o;
    o.sample_rate = a.sample_rate;
    o.n_fft = a.n_fft;
    o.hop_length = a.hop_length;
    o.n_mels = a.bins > 0 ? a.bins : 80;
    return speech::MelSpectrogram(o).log_mel(wave);
  }
  speech::KaldiFrameOptions frame;
  frame.sample_frequency = static_cast<double>(a.sample_rate);
  frame.frame_length_ms = a.frame_length_ms;
  frame.frame_shift_ms = a.frame_shift_ms;
  frame.dither = a.dither;
  if (a.kind == "fbank") {
    speech::FbankOptions o;
    o.frame = frame;
    o.num_mel_bins = a.bins > 0 ? a.bins : 80;
    return speech::kaldi_fbank(wave, o);
  }
  speech::MfccOptions o;
  o.frame = frame;
  o.num_mel_bins = a.bins > 0 ? a.bins : 23;
  o.num_ceps = a.num_ceps;
  return speech::kaldi_mfcc(wave, o);
}

int run_features(const FeaturesArgs& args) {
  if (args.kind != "logmel" && args.kind != "fbank" && args.kind != "mfcc")
    throw InputError("unknown --kind '" + args.kind + "' (expected logmel, fbank or mfcc)");
  at::Tensor wave = speech::load_audio(args.audio, args.sample_rate);
  if (args.int16_scale) wave = wave * 32768.0;
  const at::Tensor features = compute(args, wave);
  if (features.size(0) == 0)
    throw InputError("'" + args.audio + "' (" + std::to_string(wave.size(0)) +
                     " samples) is too short for one frame");
  core::io::save_safetensors(
      args.outputs, {{"features", features}},
      {{"kind", args.kind}, {"audio", args.audio}, {"sample_rate", std::to_string(args.sample_rate)}});
  std::cout << "features (" << args.kind << "): " << args.audio << " -> [" << features.size(0) << ","
            << features.size(1) << "] in " << args.outputs << "\n";
  return 0;
}

Registration reg("features", "log-mel / Kaldi fbank / MFCC features of an audio file", [](CLI::App& sub) {
  auto a = std::make_shared<FeaturesArgs>();
  sub.add_option("--kind", a->kind, "logmel, fbank or mfcc")->required();
  sub.add_option("--audio", a->audio, "audio file (WAV, FLAC, OGG, ...)")->required();
  sub.add_option("--outputs", a->outputs, "safetensors to write (atomically), key 'features' [frames,bins]")
      ->required();
  sub.add_option("--sample-rate", a->sample_rate, "resample to this rate first (default 16000)")
      ->check(CLI::Range(int64_t{1000}, int64_t{384000}));
  sub.add_option("--bins", a->bins, "mel bins (default 80; mfcc 23)")
      ->check(CLI::Range(int64_t{0}, int64_t{1024}));
  sub.add_option("--num-ceps", a->num_ceps, "mfcc: cepstra kept (default 13)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}));
  sub.add_option("--n-fft", a->n_fft, "logmel: FFT size (default 400)")
      ->check(CLI::Range(int64_t{2}, int64_t{65536}));
  sub.add_option("--hop-length", a->hop_length, "logmel: hop in samples (default 160)")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  sub.add_option("--frame-length", a->frame_length_ms, "fbank/mfcc: frame length in ms (default 25)");
  sub.add_option("--frame-shift", a->frame_shift_ms, "fbank/mfcc: frame shift in ms (default 10)");
  sub.add_option("--dither", a->dither, "fbank/mfcc: dither (default 0)");
  sub.add_flag("--int16-scale", a->int16_scale, "scale samples by 32768 first (Kaldi's int16 convention)");
  return [a]() -> int { return run_features(*a); };
});

}  // namespace
}  // namespace softprompt::cli
