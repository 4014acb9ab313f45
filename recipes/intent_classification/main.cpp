// intent_classification: SpeechPrompt on the frozen unit LM for Fluent Speech Commands-style spoken intents
// (action|object|location; synthetic set by default, the real corpus layout works too).
//   intent_classification --config recipes/configs/intent_classification/starter_unit_lm_speechprompt.yaml
//   intent_classification --predict clip.wav [--artifact runs/intent_classification/prompt]
#include "recipes/common/speech_classifier_run.h"

using namespace softprompt::recipes;

int main(int argc, char** argv) {
  return run_recipe(
      "intent_classification", argc, argv,
      [](const RecipeArgs& a) {
        return speech_classifier::run("intent_classification", speech_classifier::Corpus::kFluentSpeechCommands, a);
      },
      {"--predict", "--artifact"});
}
