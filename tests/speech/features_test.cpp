// Parity of the audio front ends with torchaudio 0.13.1 (fixture audio_features) and their options.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "modalities/speech/fft.h"
#include "modalities/speech/kaldi_features.h"
#include "modalities/speech/mel_scale.h"
#include "modalities/speech/mel_spectrogram.h"

namespace sp = softprompt::modalities::speech;

namespace {

const softprompt::core::io::TensorMap& fixture() {
  static const auto map = softprompt::core::io::load_safetensors(std::string(SOFTPROMPT_TEST_FIXTURES) +
                                                                 "/audio/features.safetensors");
  return map;
}

double max_abs(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// The fixture's MelSpectrogram parameters (README "Audio features").
sp::MelSpectrogramOptions fixture_mel() {
  sp::MelSpectrogramOptions o;
  o.n_fft = 400;
  o.hop_length = 160;
  o.n_mels = 80;
  o.f_max = 8000;
  return o;
}

}  // namespace

TEST(MelScale, FilterbankMatchesTorchaudio) {
  const at::Tensor fb = sp::melscale_fbanks(201, 0.0, 8000.0, 80, 16000);
  const double err = max_abs(fb, fixture().at("mel_filterbank"));
  std::cout << "[parity] mel_filterbank max abs error " << err << "\n";
  EXPECT_LE(err, 1e-6);
}

TEST(MelScale, HzMelRoundTripAndSlaney) {
  for (auto s : {sp::MelScale::kHtk, sp::MelScale::kSlaney})
    for (double hz : {0.0, 440.0, 999.0, 1000.0, 7999.0})
      EXPECT_NEAR(sp::mel_to_hz(sp::hz_to_mel(hz, s), s), hz, 1e-6);
  EXPECT_NEAR(sp::hz_to_mel(1000.0, sp::MelScale::kSlaney), 15.0, 1e-12);
  // Slaney-normalised triangles have area-like weights 2 / (f_right - f_left), so their peaks differ from 1.
  const at::Tensor fb =
      sp::melscale_fbanks(201, 0.0, 8000.0, 40, 16000, sp::MelNorm::kSlaney, sp::MelScale::kSlaney);
  EXPECT_LT(fb.max().item<double>(), 0.1);
  EXPECT_THROW(sp::melscale_fbanks(201, 8000.0, 100.0, 40, 16000), softprompt::InputError);
  EXPECT_THROW(sp::parse_mel_scale("bark"), softprompt::InputError);
}

TEST(LogMel, MatchesTorchaudio) {
  const at::Tensor signal = fixture().at("signal");
  sp::MelSpectrogram mel(fixture_mel());
  const at::Tensor out = mel.log_mel(signal);  // [101,80]
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{101, 80}));
  EXPECT_EQ(mel.num_frames(16000), 101);
  const double err = max_abs(out, fixture().at("log_mel").t());
  std::cout << "[parity] log_mel max abs error " << err << "\n";
  EXPECT_LE(err, 1e-3);
  EXPECT_LE(max_abs(mel.filterbank(), fixture().at("mel_filterbank")), 1e-6);
}

TEST(LogMel, BatchEqualsRowsAndPlansAreReused) {
  const at::Tensor signal = fixture().at("signal");
  sp::MelSpectrogram mel(fixture_mel());
  const at::Tensor batch = at::stack({signal, signal.flip(0)});
  const at::Tensor out = mel.log_mel(batch);
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{2, 101, 80}));
  EXPECT_EQ(max_abs(out[0], mel.log_mel(signal)), 0.0);
  EXPECT_EQ(max_abs(out[1], mel.log_mel(signal.flip(0))), 0.0);
  const int64_t plans = sp::fft_plan_count();
  mel.log_mel(signal);
  EXPECT_EQ(sp::fft_plan_count(), plans);
}

TEST(LogMel, OptionsAndBadInput) {
  sp::MelSpectrogramOptions o;  // torchaudio defaults: 128 mels, hop 200
  const at::Tensor x = at::randn({3000});
  EXPECT_EQ(sp::log_mel_spectrogram(x, o).sizes(), (at::IntArrayRef{16, 128}));
  o.center = false;
  EXPECT_EQ(sp::mel_spectrogram(x, o).size(0), 1 + (3000 - 400) / 200);
  // power=1 and normalized give the magnitude scaled by 1/sqrt(sum w^2): power 2 of that is power/sum(w^2).
  sp::MelSpectrogramOptions p = fixture_mel();
  p.n_mels = 10;
  const at::Tensor power = sp::mel_spectrogram(x, p);
  p.normalized = true;
  const double wsum = at::hann_window(400, true, at::kDouble).pow(2).sum().item<double>();
  EXPECT_LT(max_abs(sp::mel_spectrogram(x, p) * wsum, power) / power.abs().max().item<double>(), 1e-5);
  sp::MelSpectrogramOptions bad = fixture_mel();
  bad.win_length = 800;
  EXPECT_THROW(sp::MelSpectrogram{bad}, softprompt::InputError);
  EXPECT_THROW(sp::log_mel_spectrogram(at::randn({100}), fixture_mel()),
               softprompt::InputError);  // < n_fft/2
  EXPECT_THROW(sp::log_mel_spectrogram(at::randn({2, 2, 100}), fixture_mel()), c10::Error);
}

TEST(KaldiFbank, MatchesTorchaudio) {
  sp::FbankOptions o;
  o.num_mel_bins = 80;
  const at::Tensor signal = fixture().at("signal");
  const at::Tensor out = sp::kaldi_fbank(signal, o);
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{98, 80}));
  const double err = max_abs(out, fixture().at("kaldi_fbank"));
  const double err16 = max_abs(sp::kaldi_fbank(signal * 32768.0, o), fixture().at("kaldi_fbank_int16_scale"));
  std::cout << "[parity] kaldi_fbank max abs error " << err << ", int16 scale " << err16 << "\n";
  EXPECT_LE(err, 1e-2);
  EXPECT_LE(err16, 1e-2);
  // The floor of digital silence is log(float32 eps).
  EXPECT_NEAR(out[0].min().item<double>(), std::log(1.1920928955078125e-07), 1e-5);
}

TEST(KaldiMfcc, MatchesTorchaudio) {
  const at::Tensor out = sp::kaldi_mfcc(fixture().at("signal"));  // defaults: 13 ceps, 23 mel bins, lifter 22
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{98, 13}));
  const double err = max_abs(out, fixture().at("kaldi_mfcc"));
  std::cout << "[parity] kaldi_mfcc max abs error " << err << "\n";
  EXPECT_LE(err, 5e-3);
}

TEST(KaldiFeatures, OptionsShapesAndBatch) {
  const at::Tensor signal = fixture().at("signal");
  sp::FbankOptions o;
  o.num_mel_bins = 40;
  o.use_energy = true;
  const at::Tensor with_energy = sp::kaldi_fbank(signal, o);
  ASSERT_EQ(with_energy.sizes(), (at::IntArrayRef{98, 41}));
  o.htk_compat = true;
  const at::Tensor htk = sp::kaldi_fbank(signal, o);
  EXPECT_EQ(max_abs(htk.select(1, 40), with_energy.select(1, 0)), 0.0);  // energy moves to the end
  o.subtract_mean = true;
  EXPECT_LT(sp::kaldi_fbank(signal, o).mean(0).abs().max().item<double>(), 1e-4);
  sp::FbankOptions no_snip;
  no_snip.frame.snip_edges = false;
  EXPECT_EQ(sp::kaldi_fbank(signal, no_snip).size(0), 100);
  EXPECT_EQ(sp::kaldi_num_frames(16000, no_snip.frame), 100);
  EXPECT_EQ(sp::kaldi_fbank(at::randn({300}), sp::FbankOptions{}).size(0), 0);  // shorter than a window
  const at::Tensor batch = at::stack({signal, signal * 0.5});
  const at::Tensor b = sp::kaldi_mfcc(batch);
  ASSERT_EQ(b.sizes(), (at::IntArrayRef{2, 98, 13}));
  EXPECT_EQ(max_abs(b[1], sp::kaldi_mfcc(signal * 0.5)), 0.0);
  sp::FbankOptions dithered;
  dithered.frame.dither = 1.0;
  dithered.frame.dither_seed = 7;
  const at::Tensor d1 = sp::kaldi_fbank(signal * 32768.0, dithered);
  EXPECT_EQ(max_abs(d1, sp::kaldi_fbank(signal * 32768.0, dithered)), 0.0);  // seeded
  EXPECT_GT(max_abs(d1, sp::kaldi_fbank(signal * 32768.0, sp::FbankOptions{})), 0.0);
  for (const char* w : {"hamming", "hanning", "rectangular", "blackman"}) {
    sp::MfccOptions m;
    m.frame.window_type = sp::parse_kaldi_window(w);
    EXPECT_TRUE(at::isfinite(sp::kaldi_mfcc(signal, m)).all().item<bool>()) << w;
  }
  sp::MfccOptions bad;
  bad.num_ceps = 30;
  EXPECT_THROW(sp::kaldi_mfcc(signal, bad), softprompt::InputError);
  sp::FbankOptions vtln;
  vtln.vtln_warp = 0.9;
  EXPECT_THROW(sp::kaldi_fbank(signal, vtln), softprompt::InputError);
  sp::FbankOptions high;
  high.high_freq = 9000;
  EXPECT_THROW(sp::kaldi_fbank(signal, high), softprompt::InputError);
  EXPECT_THROW(sp::parse_kaldi_window("kaiser"), softprompt::InputError);
}

TEST(Fft, PowerSpectrumMatchesDefinition) {
  const at::Tensor x = at::randn({5, 512}, at::kDouble);
  const at::Tensor ref = at::fft_rfft(x).abs().pow(2);
  EXPECT_LT(max_abs(sp::rfft_power(x, 2.0), ref), 1e-9);
  EXPECT_LT(max_abs(sp::rfft_power(x, 1.0), ref.sqrt()), 1e-9);
  EXPECT_THROW(sp::rfft_power(x, 0.0), softprompt::InputError);
}
