#pragma once
// The whole speech classification recipe (keyword_spotting, intent_classification), so that their mains only
// name the corpus: parse -> load unit LM + encoder -> corpus to units (cached) -> SpeechPrompt per seed ->
// evaluate on held-out voices (accuracy, macro-F1, confusion PNG) -> artifact + results.json; or --predict.
#include <string>

#include "recipes/common/recipe_main.h"
#include "recipes/common/speech_classifier_config.h"

namespace softprompt::recipes::speech_classifier {

// `recipe` names the executable in messages and the artifact.
int run(const std::string& recipe, Corpus corpus, const RecipeArgs& args);

}  // namespace softprompt::recipes::speech_classifier
