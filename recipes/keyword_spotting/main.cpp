// keyword_spotting: SpeechPrompt on the frozen unit LM for Speech Commands-style keyword spotting (10
// keywords + _silence_ + _unknown_; synthetic set by default, the real corpus layout works too).
//   keyword_spotting --config recipes/configs/keyword_spotting/starter_unit_lm_speechprompt.yaml [key=value ...]
//   keyword_spotting --predict clip.wav [--artifact runs/keyword_spotting/prompt]
#include "recipes/common/speech_classifier_run.h"

using namespace softprompt::recipes;

int main(int argc, char** argv) {
  return run_recipe(
      "keyword_spotting", argc, argv,
      [](const RecipeArgs& a) { return speech_classifier::run("keyword_spotting", speech_classifier::Corpus::kSpeechCommands, a); },
      {"--predict", "--artifact"});
}
