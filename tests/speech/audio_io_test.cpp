// Decoding (libsndfile), mixing, resampling (soxr), encoding, and clear errors for bad files.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/errors.h"
#include "modalities/speech/audio_io.h"

namespace fs = std::filesystem;
namespace sp = softprompt::modalities::speech;

namespace {

class AudioIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("softprompt_audio_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Writes interleaved float frames with libsndfile directly (independent of save_audio).
void write_with_sndfile(const std::string& path, int format, int rate, int channels,
                        const std::vector<float>& data) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  ASSERT_EQ(sf_writef_float(f, data.data(), static_cast<sf_count_t>(data.size() / channels)),
            static_cast<sf_count_t>(data.size() / channels));
  sf_close(f);
}

std::vector<float> sine(double freq, int rate, int n, double amp = 0.5) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(amp * std::sin(2 * M_PI * freq * i / rate));
  return v;
}

// Dominant frequency of x at `rate` from the FFT peak.
double peak_hz(const at::Tensor& x, double rate) {
  const at::Tensor mag = at::fft_rfft(x.to(at::kDouble)).abs();
  return mag.argmax().item<int64_t>() * rate / static_cast<double>(x.size(0));
}

}  // namespace

TEST_F(AudioIo, DecodesMonoWav16k) {
  const auto s = sine(440, 16000, 16000);
  write_with_sndfile(path("a.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, s);
  const sp::AudioClip clip = sp::decode_audio(path("a.wav"));
  EXPECT_EQ(clip.sample_rate, 16000);
  ASSERT_EQ(clip.samples.sizes(), (at::IntArrayRef{1, 16000}));
  const at::Tensor ref = torch::tensor(s);
  EXPECT_LT((clip.samples[0] - ref).abs().max().item<double>(), 1.0 / 32768 + 1e-6);  // PCM16 quantization
  const at::Tensor mono = sp::load_audio(path("a.wav"));
  EXPECT_TRUE(mono.equal(clip.samples[0]));
}

TEST_F(AudioIo, StereoIsAveragedToMono) {
  const int n = 8000;
  std::vector<float> inter(2 * n);
  const auto left = sine(300, 16000, n, 0.4);
  for (int i = 0; i < n; ++i) {
    inter[2 * i] = left[i];
    inter[2 * i + 1] = -0.2f;
  }
  write_with_sndfile(path("s.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 2, inter);
  const sp::AudioClip clip = sp::decode_audio(path("s.wav"));
  ASSERT_EQ(clip.samples.sizes(), (at::IntArrayRef{2, n}));
  const at::Tensor mono = sp::load_audio(path("s.wav"));
  ASSERT_EQ(mono.sizes(), (at::IntArrayRef{n}));
  EXPECT_LT((mono - (torch::tensor(left) - 0.2) / 2).abs().max().item<double>(), 1e-6);
}

TEST_F(AudioIo, ResamplesAnyRateTo16k) {
  for (int rate : {8000, 44100}) {
    const std::string p = path("r" + std::to_string(rate) + ".wav");
    write_with_sndfile(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, 1, sine(1000, rate, rate));  // 1 s
    const at::Tensor x = sp::load_audio(p, 16000);
    ASSERT_EQ(x.size(0), 16000) << rate;
    EXPECT_NEAR(peak_hz(x, 16000), 1000.0, 1.0) << rate;
    // Amplitude is kept (away from the filter's start-up at the edges).
    EXPECT_NEAR(x.slice(0, 2000, 14000).abs().max().item<double>(), 0.5, 0.02) << rate;
    EXPECT_EQ(sp::load_audio(p, 0).size(0), rate);  // <= 0 keeps the native rate
  }
  // A tone above the new Nyquist frequency is removed, not aliased.
  const at::Tensor high = torch::tensor(sine(6000, 16000, 16000));
  const at::Tensor down = sp::resample(high, 16000, 8000);
  EXPECT_EQ(down.size(0), 8000);
  EXPECT_LT(down.slice(0, 1000, 7000).abs().max().item<double>(), 0.01);
  EXPECT_THROW(sp::resample(high, 0, 16000), softprompt::InputError);
}

TEST_F(AudioIo, DecodesFlacAndOgg) {
  const auto s = sine(500, 16000, 16000);
  write_with_sndfile(path("a.flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, s);
  write_with_sndfile(path("a.ogg"), SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000, 1, s);
  const at::Tensor flac = sp::load_audio(path("a.flac"));
  EXPECT_LT((flac - torch::tensor(s)).abs().max().item<double>(), 1.0 / 32768 + 1e-6);  // lossless
  const at::Tensor ogg = sp::load_audio(path("a.ogg"));
  EXPECT_EQ(ogg.size(0), 16000);
  EXPECT_NEAR(peak_hz(ogg, 16000), 500.0, 1.0);  // lossy, but the tone survives
}

TEST_F(AudioIo, SaveAudioRoundTripsEveryFormat) {
  const at::Tensor x = torch::tensor(sine(700, 16000, 4000)).unsqueeze(0).repeat({2, 1});  // stereo
  for (const char* ext : {".wav", ".flac", ".ogg"}) {
    const std::string p = path(std::string("out") + ext);
    sp::save_audio(p, x, 16000);
    const sp::AudioClip clip = sp::decode_audio(p);
    EXPECT_EQ(clip.sample_rate, 16000) << ext;
    ASSERT_EQ(clip.samples.sizes(), x.sizes()) << ext;
    if (std::string(ext) != ".ogg") {
      EXPECT_LT((clip.samples - x).abs().max().item<double>(), 1e-4) << ext;
    }
  }
  sp::AudioWriteOptions f32;
  f32.float_samples = true;
  sp::save_audio(path("f.wav"), x[0], 16000, f32);
  EXPECT_TRUE(sp::decode_audio(path("f.wav")).samples[0].equal(x[0]));
  EXPECT_THROW(sp::save_audio(path("x.mp4"), x, 16000), softprompt::InputError);
  EXPECT_THROW(sp::save_audio(path("n.wav"), x * NAN, 16000), softprompt::InputError);
  EXPECT_FALSE(fs::exists(path("n.wav")));
}

TEST_F(AudioIo, BadFilesGiveClearErrors) {
  // Missing file: IoError naming it.
  try {
    sp::decode_audio(path("missing.wav"));
    FAIL() << "no error";
  } catch (const softprompt::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.wav"), std::string::npos);
  }
  { std::ofstream(path("empty.wav")); }
  {
    std::ofstream(path("junk.wav"))
        << "RIFF....WAVEthis is not audio at all, just text pretending to be a header";
  }
  {
    // A valid WAV header cut off inside the data chunk, then garbage.
    write_with_sndfile(path("full.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, sine(440, 16000, 1000));
    std::ifstream in(path("full.wav"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(path("cut.wav"), std::ios::binary) << bytes.substr(0, 30);
  }
  write_with_sndfile(path("zero.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, {});
  for (const char* name : {"empty.wav", "junk.wav", "cut.wav", "zero.wav"}) {
    try {
      sp::load_audio(path(name));
      FAIL() << name << ": no error";
    } catch (const softprompt::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(sp::decode_audio(dir_.string()), softprompt::IoError);
}
