#pragma once
// The building blocks the speech classification recipes share (keyword_spotting, intent_classification):
// the frozen unit LM + unit encoder, the corpus as unit sequences (cached), SpeechPrompt
// (core/methods/speech_prompt.h) and the classifier task over "{soft:N}{text}{mask}" where {text} is a
// clip's units. The recipes' mains only choose the corpus.
#include <memory>
#include <string>
#include <vector>

#include "core/artifact_manifest.h"
#include "core/methods/speech_prompt.h"
#include "models/gpt2/model.h"
#include "models/unit_lm/config.h"
#include "recipes/common/prompt_classifier.h"
#include "recipes/common/speech_classifier_config.h"
#include "recipes/common/unit_cache.h"

namespace softprompt::recipes::speech_classifier {

struct UnitBackbone {
  models::gpt2::Model model{nullptr};  // frozen, slots "units", "units.kv.i"
  models::unit_lm::Config config;
  UnitEncodeFn encode;                 // waveform [N] at 16 kHz -> units [T]
  std::string encoder_hash;            // identifies the encoder (feature kind, parameters, centroids)
  std::string path, encoder_path;
  core::BackboneInfo info;
};
// `path` "" = <cache>/starter/unit_lm; `encoder` "" = the encoder saved in that directory. Throws IoError /
// InputError naming the directory or file.
UnitBackbone load_backbone(const std::string& path, const std::string& encoder);

struct SpeechData {
  std::vector<std::string> labels;  // class order
  std::vector<ClassifierExample> train, dev, test;  // text = the clip's units ("12 7 93")
};
// Lists the corpus (Speech Commands or FSC layout), encodes every clip to units through the cache. A dev or
// test label the training split does not have is an InputError.
SpeechData load_data(const Config& c, const UnitBackbone& bb);

// The fixed verbalizer's units: c.label_units when given (one per label, each < K), else the
// len(labels) most frequent units of the training clips, in order (SpeechPrompt's frequency-based choice).
std::vector<int64_t> label_units(const Config& c, const UnitBackbone& bb, const SpeechData& data);

// "{soft:N}{text}{mask}" (N = c.input_tokens), or "{text}{mask}" without an input prompt.
std::string prompt_template(const Config& c);

core::methods::SpeechPrompt make_speech_prompt(const Config& c, const UnitBackbone& bb,
                                               const std::vector<int64_t>& units, uint64_t seed);
// The task over `data` (empty splits for --predict) training `sp`.
std::unique_ptr<PromptClassifierTask> make_task(const Config& c, const UnitBackbone& bb, const SpeechData& data,
                                                const core::methods::SpeechPrompt& sp);

}  // namespace softprompt::recipes::speech_classifier
