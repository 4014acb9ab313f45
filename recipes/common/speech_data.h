#pragma once
// Listings of labelled speech corpora in their published layouts: Speech Commands (keyword spotting, Warden
// 2018) and Fluent Speech Commands (spoken intents, Lugosch et al. 2019). scripts/make_speech_data.sh writes
// its synthetic sets in exactly these layouts, so one reader serves the synthetic and the real corpora. Files
// are only listed here; decoding belongs to modalities/speech/audio_io.h (load_audio).
#include <string>
#include <vector>

namespace softprompt::recipes {

inline constexpr const char* kSilenceLabel = "_silence_";
inline constexpr const char* kUnknownLabel = "_unknown_";

// One utterance: a whole file, or (silence cut from background noise) a window of it.
struct SpeechExample {
  std::string path;  // the corpus folder joined with the file's corpus-relative path
  std::string
      label;  // Speech Commands: keyword, kSilenceLabel or kUnknownLabel; FSC: "action|object|location"
  std::string speaker;  // Speech Commands: the file name before "_nohash_"; FSC: speakerId
  std::string
      transcription;      // Speech Commands: the spoken word ("" for silence); FSC: the transcription column
  double start_s = 0;     // window start within the file, seconds
  double duration_s = 0;  // window length, seconds; 0 = the whole file
};

struct SpeechSplits {
  std::vector<SpeechExample> train, validation, test;
  std::vector<std::string> background_noise;  // Speech Commands: _background_noise_/*.wav, sorted
};

// The ten keywords of the Speech Commands benchmark: yes no up down left right on off stop go.
const std::vector<std::string>& speech_commands_keywords();

// Reads a Speech Commands folder: one folder of .wav per word, validation_list.txt and testing_list.txt
// naming
// "<word>/<file>.wav" per line (every other file is train), _background_noise_/ with long noise recordings.
// Folders named in `words` keep their label. With `include_silence_unknown`, every other word folder (and
// _unknown_/) is labelled kUnknownLabel, and kSilenceLabel examples come from _silence_/ when it exists (the
// synthetic sets, the official test set) or else are the whole seconds of each _background_noise_ file
// (second i goes to validation when i % 10 == 8, to test when i % 10 == 9, to train otherwise). Throws
// InputError naming the folder, file or list line: missing folder, word folder or list file, a list entry
// that does not exist or is in both lists, an unreadable noise WAV header, empty or repeated `words`.
SpeechSplits read_speech_commands(const std::string& dir, const std::vector<std::string>& words,
                                  bool include_silence_unknown);

// Reads a Fluent Speech Commands folder: data/train_data.csv, data/valid_data.csv, data/test_data.csv with
// (at least) the columns path, speakerId, transcription, action, object, location; `path` is relative to
// `dir`. label = "action|object|location". Throws InputError naming file:line for a missing CSV, column,
// field or wav.
SpeechSplits read_fluent_speech_commands(const std::string& dir);

// The length of a PCM/float WAV file in seconds, from its header alone (RIFF "fmt " and "data" chunks).
// Throws InputError naming the file when it is not a WAV file, IoError when it cannot be opened.
double wav_duration_seconds(const std::string& path);

}  // namespace softprompt::recipes
