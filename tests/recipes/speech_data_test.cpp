// Readers of the Speech Commands and Fluent Speech Commands layouts (recipes/common/speech_data.h) on tiny
// fake corpora, their error cases, and the synthetic-set generator (scripts/make_speech_data.sh) end to end.
#include "recipes/common/speech_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "core/errors.h"
#include "recipes/common/csv_table.h"
#include "tests/core/temp_dir.h"

namespace softprompt::recipes {
namespace {

namespace fs = std::filesystem;
using softprompt::testing::TempDir;

void write_file(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << contents;
}

std::string le(uint32_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

// A 16-bit mono PCM WAV of `samples` zeros; `extra_chunk` puts a LIST chunk before the data, `streamed`
// leaves the data size 0xFFFFFFFF as a writer that could not seek back does.
void write_wav(const std::string& path, uint32_t samples, uint32_t rate = 16000, bool extra_chunk = false,
               bool streamed = false) {
  const std::string list = extra_chunk ? "LIST" + le(5, 4) + "INFOx" + std::string(1, '\0') : "";
  const std::string fmt =
      "fmt " + le(16, 4) + le(1, 2) + le(1, 2) + le(rate, 4) + le(rate * 2, 4) + le(2, 2) + le(16, 2);
  const std::string data =
      "data" + le(streamed ? 0xFFFFFFFFu : samples * 2, 4) + std::string(samples * 2, '\0');
  write_file(path, "RIFF" + le(static_cast<uint32_t>(4 + fmt.size() + list.size() + data.size()), 4) +
                       "WAVE" + fmt + list + data);
}

// Expects `f` to throw InputError whose message contains `needle`.
void expect_input_error(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no InputError; expected one mentioning '" << needle << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::multiset<std::string> labels(const std::vector<SpeechExample>& v) {
  std::multiset<std::string> s;
  for (const auto& e : v) s.insert(e.label);
  return s;
}

// yes: 3 speakers, no: 2, bed (an unknown word): 1, 2.5 s of background noise; one yes/no clip per list.
void make_speech_commands(const TempDir& t) {
  for (const char* f :
       {"yes/aa11_nohash_0.wav", "yes/aa11_nohash_1.wav", "yes/bb22_nohash_0.wav", "yes/cc33_nohash_0.wav",
        "no/aa11_nohash_0.wav", "no/dd44_nohash_0.wav", "bed/ee55_nohash_0.wav"})
    write_wav(t / f, 16000);
  write_file(t / "yes/README.txt", "not audio");
  write_wav(t / "_background_noise_/white_noise.wav", 40000);
  write_file(t / "validation_list.txt", "yes/bb22_nohash_0.wav\n\nno/dd44_nohash_0.wav\n");
  write_file(t / "testing_list.txt", "yes/cc33_nohash_0.wav\r\n");
}

TEST(SpeechCommandsReader, SplitsByTheListsAndKeepsOnlyTheKeywords) {
  TempDir t;
  make_speech_commands(t);
  const auto s = read_speech_commands(t.path().string(), {"yes", "no"}, /*include_silence_unknown=*/false);
  ASSERT_EQ(s.train.size(), 3u);
  ASSERT_EQ(s.validation.size(), 2u);
  ASSERT_EQ(s.test.size(), 1u);
  EXPECT_EQ(s.train[0].path, t / "no/aa11_nohash_0.wav");  // folders and files in sorted order
  EXPECT_EQ(s.train[0].label, "no");
  EXPECT_EQ(s.train[0].speaker, "aa11");
  EXPECT_EQ(s.train[0].transcription, "no");
  EXPECT_EQ(s.train[0].duration_s, 0);
  EXPECT_EQ(labels(s.train), (std::multiset<std::string>{"no", "yes", "yes"}));
  EXPECT_EQ(labels(s.validation), (std::multiset<std::string>{"no", "yes"}));
  EXPECT_EQ(s.test[0].path, t / "yes/cc33_nohash_0.wav");
  EXPECT_EQ(s.test[0].speaker, "cc33");
  ASSERT_EQ(s.background_noise.size(), 1u);
  EXPECT_EQ(s.background_noise[0], t / "_background_noise_/white_noise.wav");
}

TEST(SpeechCommandsReader, UnknownWordsAndSilenceWindowsFromTheBackgroundNoise) {
  TempDir t;
  make_speech_commands(t);
  write_wav(t / "_background_noise_/pink_noise.wav", 16000 * 10 + 5);  // 10 whole seconds: 8 train, 1 + 1
  const auto s = read_speech_commands(t.path().string(), {"yes", "no"}, /*include_silence_unknown=*/true);
  EXPECT_EQ(labels(s.train),
            (std::multiset<std::string>{"no", "yes", "yes", "_unknown_", "_silence_", "_silence_",
                                        "_silence_", "_silence_", "_silence_", "_silence_", "_silence_",
                                        "_silence_", "_silence_", "_silence_"}));
  const auto unknown =
      std::find_if(s.train.begin(), s.train.end(), [](auto& e) { return e.label == kUnknownLabel; });
  EXPECT_EQ(unknown->transcription, "bed");
  EXPECT_EQ(unknown->speaker, "ee55");
  ASSERT_EQ(s.validation.size(), 3u);  // yes, no, pink second 8
  EXPECT_EQ(s.validation[2].label, kSilenceLabel);
  EXPECT_EQ(s.validation[2].path, t / "_background_noise_/pink_noise.wav");
  EXPECT_EQ(s.validation[2].start_s, 8.0);
  EXPECT_EQ(s.validation[2].duration_s, 1.0);
  EXPECT_EQ(s.validation[2].speaker, "pink_noise");
  ASSERT_EQ(s.test.size(), 2u);
  EXPECT_EQ(s.test[1].start_s, 9.0);
}

TEST(SpeechCommandsReader, ASilenceFolderReplacesTheNoiseWindows) {
  TempDir t;
  make_speech_commands(t);
  write_wav(t / "_silence_/white_noise_nohash_0.wav", 16000);
  write_wav(t / "_silence_/white_noise_nohash_1.wav", 16000);
  write_file(t / "testing_list.txt", "yes/cc33_nohash_0.wav\n_silence_/white_noise_nohash_1.wav\n");
  const auto s = read_speech_commands(t.path().string(), {"yes", "no"}, /*include_silence_unknown=*/true);
  EXPECT_EQ(labels(s.train), (std::multiset<std::string>{"no", "yes", "yes", "_unknown_", "_silence_"}));
  EXPECT_EQ(labels(s.test), (std::multiset<std::string>{"yes", "_silence_"}));
  const auto& silence = s.test[0].label == kSilenceLabel ? s.test[0] : s.test[1];
  EXPECT_EQ(silence.speaker, "white_noise");
  EXPECT_EQ(silence.transcription, "");
  EXPECT_EQ(silence.duration_s, 0);
}

TEST(SpeechCommandsReader, BadLayoutsAreInputErrorsNamingThePlace) {
  TempDir t;
  make_speech_commands(t);
  const auto dir = t.path().string();
  const auto read = [&](std::vector<std::string> words) {
    return [=] { read_speech_commands(dir, words, true); };
  };
  expect_input_error([&] { read_speech_commands(t / "nope", {"yes"}, true); }, t / "nope");
  expect_input_error(read({}), "no keywords");
  expect_input_error(read({"yes", "yes"}), "'yes' given twice");
  expect_input_error(read({"yes", "up"}), t / "up" + ": keyword folder missing");
  expect_input_error(read({"_silence_"}), "not a word folder name");
  write_file(t / "validation_list.txt", "yes/bb22_nohash_0.wav\nyes/gone_nohash_0.wav\n");
  expect_input_error(read({"yes"}), t / "validation_list.txt" + ":2: 'yes/gone_nohash_0.wav' does not exist");
  write_file(t / "validation_list.txt", "../outside.wav\n");
  expect_input_error(read({"yes"}),
                     "validation_list.txt:1: '../outside.wav' is not a path inside the corpus");
  write_file(t / "validation_list.txt", "yes/cc33_nohash_0.wav\n");
  expect_input_error(read({"yes"}),
                     "testing_list.txt:1: 'yes/cc33_nohash_0.wav' is in validation_list.txt too");
  write_file(t / "validation_list.txt", "yes/bb22_nohash_0.wav\nyes/bb22_nohash_0.wav\n");
  expect_input_error(read({"yes"}), "validation_list.txt:2: 'yes/bb22_nohash_0.wav' is listed twice");
  fs::remove(t / "validation_list.txt");
  expect_input_error(read({"yes"}), t / "validation_list.txt" + ": missing");
  write_file(t / "validation_list.txt", "");
  write_file(t / "_background_noise_/white_noise.wav",
             "RIFF0000AVI LIST");  // not a WAV: silence cannot be cut
  expect_input_error(read({"yes"}), "white_noise.wav: not a usable WAV file");
  EXPECT_NO_THROW(read_speech_commands(dir, {"yes"}, /*include_silence_unknown=*/false));  // noise not needed
}

TEST(WavDuration, ReadsTheHeaderOnly) {
  TempDir t;
  write_wav(t / "a.wav", 24000);
  EXPECT_DOUBLE_EQ(wav_duration_seconds(t / "a.wav"), 1.5);
  write_wav(t / "b.wav", 8000, /*rate=*/8000, /*extra_chunk=*/true);  // odd-sized chunk before data: padded
  EXPECT_DOUBLE_EQ(wav_duration_seconds(t / "b.wav"), 1.0);
  write_wav(t / "c.wav", 4000, 16000, false, /*streamed=*/true);
  EXPECT_DOUBLE_EQ(wav_duration_seconds(t / "c.wav"), 0.25);
  write_file(t / "d.wav", std::string("RIFF\x04\0\0\0WAVEdata\0\0\0\0", 20));  // no fmt chunk
  expect_input_error([&] { wav_duration_seconds(t / "d.wav"); }, "data chunk before the fmt chunk");
  write_file(t / "e.wav", "RIFF");
  expect_input_error([&] { wav_duration_seconds(t / "e.wav"); }, "no RIFF/WAVE header");
  EXPECT_THROW(wav_duration_seconds(t / "missing.wav"), IoError);
}

// FSC layout: data/*.csv with pandas' unnamed index column, wavs under wavs/speakers/<speaker>/.
void make_fluent(const TempDir& t) {
  for (const char* f : {"wavs/speakers/s1/a.wav", "wavs/speakers/s2/b.wav", "wavs/speakers/s3/c.wav",
                        "wavs/speakers/s1/d.wav"})
    write_wav(t / f, 20000);
  const std::string header = ",path,speakerId,transcription,action,object,location\n";
  write_file(t / "data/train_data.csv",
             header + "0,wavs/speakers/s1/a.wav,s1,Turn on the lights,activate,lights,none\n" +
                 "1,wavs/speakers/s1/d.wav,s1,\"Lights on, kitchen\",activate,lights,kitchen\n");
  write_file(t / "data/valid_data.csv",
             header + "0,wavs/speakers/s2/b.wav,s2,Change language,change language,none,none\n");
  write_file(t / "data/test_data.csv",
             header + "0,wavs/speakers/s3/c.wav,s3,\"Say \"\"bring\"\" shoes\",bring,shoes,none");
}

TEST(FluentSpeechCommandsReader, ReadsTheThreeCsvs) {
  TempDir t;
  make_fluent(t);
  const auto s = read_fluent_speech_commands(t.path().string());
  ASSERT_EQ(s.train.size(), 2u);
  ASSERT_EQ(s.validation.size(), 1u);
  ASSERT_EQ(s.test.size(), 1u);
  EXPECT_EQ(s.train[0].path, t / "wavs/speakers/s1/a.wav");
  EXPECT_EQ(s.train[0].label, "activate|lights|none");
  EXPECT_EQ(s.train[0].speaker, "s1");
  EXPECT_EQ(s.train[1].transcription, "Lights on, kitchen");
  EXPECT_EQ(s.train[1].label, "activate|lights|kitchen");
  EXPECT_EQ(s.validation[0].label, "change language|none|none");
  EXPECT_EQ(s.test[0].transcription, "Say \"bring\" shoes");
  EXPECT_TRUE(s.background_noise.empty());
}

TEST(FluentSpeechCommandsReader, BadInputIsAnInputErrorNamingFileAndLine) {
  TempDir t;
  make_fluent(t);
  const auto dir = t.path().string();
  const auto read = [&] { read_fluent_speech_commands(dir); };
  const auto csv = t / "data/valid_data.csv";
  const std::string header = ",path,speakerId,transcription,action,object,location\n";
  write_file(csv, header + "0,wavs/speakers/s2/gone.wav,s2,Lamp on,activate,lamp,none\n");
  expect_input_error(read, csv + ":2: 'wavs/speakers/s2/gone.wav' does not exist");
  write_file(csv, header + "\n0,wavs/speakers/s2/b.wav,s2,Lamp on,activate,lamp\n");
  expect_input_error(read, csv + ":3: 6 fields, the header has 7");
  write_file(csv, header + "0,wavs/speakers/s2/b.wav,s2,Lamp on,,lamp,none\n");
  expect_input_error(read, csv + ":2: empty 'action'");
  write_file(csv, header + "0,/etc/passwd,s2,Lamp on,activate,lamp,none\n");
  expect_input_error(read, csv + ":2: '/etc/passwd' is not a path inside the corpus");
  write_file(csv,
             "path,speakerId,transcription,action,object\nwavs/speakers/s2/b.wav,s2,Lamp,activate,lamp\n");
  expect_input_error(read, csv + ": the header row has no 'location' column");
  write_file(csv, header + "0,wavs/speakers/s2/b.wav,s2,\"Lamp on,activate,lamp,none\n");
  expect_input_error(read, csv + ":2: unterminated quoted field");
  fs::remove(csv);
  expect_input_error(read, csv + ": missing");
  expect_input_error([&] { read_fluent_speech_commands(t / "nope"); }, t / "nope");
}

TEST(CsvTable, QuotingBlankLinesAndErrors) {
  const auto t = parse_csv_table(
      "\xEF\xBB\xBF"
      "a, b ,c\r\n\n1,\" x,\"\"y\"\"\n z\",3\r\n",
      "t.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].line, 3);
  EXPECT_EQ(t.rows[0].fields, (std::vector<std::string>{"1", " x,\"y\"\n z", "3"}));
  EXPECT_EQ(t.column("c"), 2u);
  expect_input_error([&] { t.column("d"); }, "t.csv: the header row has no 'd' column");
  expect_input_error([] { parse_csv_table("\n\n", "e.csv"); }, "e.csv: empty CSV file");
  expect_input_error([] { parse_csv_table("a,b\nx\"y\",2\n", "q.csv"); }, "q.csv:2: stray quote");
  expect_input_error([] { parse_csv_table("a,b\n\"x\"y,2\n", "q.csv"); },
                     "q.csv:2: text after a closing quote");
}

bool installed(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null").c_str()) == 0;
}

std::map<std::string, std::string> files_under(const fs::path& dir) {  // relative path -> contents
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      files[fs::relative(e.path(), dir).string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  return files;
}

std::set<std::string> speakers(const std::vector<SpeechExample>& v) {
  std::set<std::string> s;
  for (const auto& e : v)
    if (e.label != kSilenceLabel) s.insert(e.speaker);
  return s;
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::none_of(a.begin(), a.end(), [&](const std::string& x) { return b.count(x) > 0; });
}

// The generator end to end, kept to seconds: a small keyword set twice (2 workers, then 3) must be identical
// to the byte, split its voices and read back through the Speech Commands reader; a one-clip-per-intent set
// must read back through the FSC reader.
TEST(SpeechDataGenerator, SmallSetsAreByteReproducibleVoiceDisjointAndReadable) {
  for (const char* tool : {"espeak-ng", "sox", "flite"})
    if (!installed(tool))
      GTEST_SKIP() << tool << " is not installed (scripts/make_speech_data.sh installs it)";
  TempDir t;
  const std::string script = std::string(SOFTPROMPT_SOURCE_DIR) + "/scripts/make_speech_data.sh";
  const auto generate = [&](const std::string& args) {
    return std::system(("bash '" + script + "' --noise-seconds 10 " + args + " >/dev/null").c_str());
  };
  const std::string kws = " kws --clips-per-word 3 --unknown-clips 1 --out ";
  ASSERT_EQ(generate("--jobs 2" + kws + t / "a"), 0);
  ASSERT_EQ(generate("--jobs 3" + kws + t / "b"), 0);  // other rows per worker, same bytes
  const auto a = files_under(t / "a/synthetic_kws"), b = files_under(t / "b/synthetic_kws");
  EXPECT_EQ(a.size(), 43u + 5 + 8);  // clips, noises, 2 lists, 6 files of metadata
  EXPECT_TRUE(a == b) << "two runs with the same seed differ";

  const auto s = read_speech_commands(t / "a/synthetic_kws", speech_commands_keywords(), true);
  ASSERT_EQ(s.train.size(), 10u + 10 + 1);  // 3 clips a keyword and 3 of silence: 1 per split; unknown: train
  ASSERT_EQ(s.validation.size(), 11u);
  ASSERT_EQ(s.test.size(), 11u);
  EXPECT_EQ(s.background_noise.size(), 5u);
  EXPECT_NE(a.at("manifest.json").find("\"train\": {\"total\": 21, \"yes\": 1"), std::string::npos);
  EXPECT_TRUE(disjoint(speakers(s.train), speakers(s.test)));
  EXPECT_TRUE(disjoint(speakers(s.train), speakers(s.validation)));
  for (const auto* split : {&s.train, &s.validation, &s.test})
    for (const auto& e : *split) {
      EXPECT_EQ(fs::file_size(e.path), 44u + 32000) << e.path;  // exactly one second of 16-bit mono
      EXPECT_DOUBLE_EQ(wav_duration_seconds(e.path), 1.0) << e.path;
    }

  ASSERT_EQ(generate("intents --clips-per-intent 1 --out " + t / "a"), 0);
  const auto f = read_fluent_speech_commands(t / "a/synthetic_intents");
  EXPECT_EQ(f.train.size(), 29u);  // one clip per intent, all in train below 3 clips
  EXPECT_TRUE(f.validation.empty() && f.test.empty());
  std::set<std::string> intents;
  for (const auto& e : f.train) {
    intents.insert(e.label);
    EXPECT_NE(e.path.find("/wavs/speakers/" + e.speaker + "/"), std::string::npos) << e.path;
    EXPECT_FALSE(e.transcription.empty());
    EXPECT_GT(wav_duration_seconds(e.path), 0.5) << e.path;
  }
  EXPECT_EQ(intents.size(), 29u);
}

}  // namespace
}  // namespace softprompt::recipes
