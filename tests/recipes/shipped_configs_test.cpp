// Every shipped config (recipes/configs/<task>/*.yaml) parses with its recipe's schema, and its first line is
// the command that runs it.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/config/shipped_config.h"
#include "core/trainer/trainer_options.h"
#include "recipes/common/compare_config.h"
#include "recipes/common/image_classification_config.h"
#include "recipes/common/pretrain_clip_config.h"
#include "recipes/common/pretrain_lm_config.h"
#include "recipes/common/pretrain_unit_lm_config.h"
#include "recipes/common/sentiment_config.h"
#include "recipes/common/speech_classifier_config.h"

namespace fs = std::filesystem;
using namespace softprompt;

TEST(ShippedConfigs, EveryConfigParses) {
  const fs::path root = fs::path(SOFTPROMPT_SOURCE_DIR);
  int checked = 0;
  for (const auto& task : fs::directory_iterator(root / "recipes/configs")) {
    for (const auto& f : fs::directory_iterator(task.path())) {
      if (f.path().extension() != ".yaml") continue;
      const std::string name = task.path().filename().string();
      const std::string path = f.path().string();
      SCOPED_TRACE(path);
      if (name == "sentiment") {
        const auto c = core::config::check_shipped_config(recipes::sentiment::schema(), path, root.string(), "sentiment");
        EXPECT_NO_THROW(core::trainer::parse_optimizer(c.optimizer));
        EXPECT_NO_THROW(core::trainer::parse_schedule(c.schedule));
        EXPECT_EQ(c.labels.size(), c.label_words.size());
      } else if (name == "compare") {
        core::config::check_shipped_config(recipes::compare::schema(), path, root.string(), "compare");
        const auto c = recipes::compare::read_config(path, {});  // tasks and methods parse, names exist
        for (const auto& t : c.tasks) EXPECT_TRUE(fs::exists(root / t.config)) << t.config;
      } else if (name == "pretrain_lm") {
        const auto c = core::config::check_shipped_config(recipes::pretrain_lm::schema(), path, root.string(), "pretrain_lm");
        EXPECT_GT(c.train.max_steps, c.train.warmup_steps);
      } else if (name == "pretrain_unit_lm") {
        const auto c = core::config::check_shipped_config(recipes::pretrain_unit_lm::schema(), path, root.string(),
                                                          "pretrain_unit_lm");
        EXPECT_GT(c.train.max_steps, c.train.warmup_steps);
        EXPECT_NO_THROW(c.units.validate());
      } else if (name == "keyword_spotting" || name == "intent_classification") {
        namespace sc = recipes::speech_classifier;
        const auto corpus =
            name == "keyword_spotting" ? sc::Corpus::kSpeechCommands : sc::Corpus::kFluentSpeechCommands;
        const auto c = core::config::check_shipped_config(sc::schema(corpus), path, root.string(), name);
        EXPECT_NO_THROW(core::trainer::parse_optimizer(c.optimizer));
        EXPECT_EQ(c.seeds.size(), 3u);
      } else if (name == "pretrain_clip") {
        const auto c = core::config::check_shipped_config(recipes::pretrain_clip::schema(), path, root.string(), name);
        EXPECT_GT(c.train.max_steps, c.train.warmup_steps);
      } else if (name == "image_classification") {
        core::config::check_shipped_config(recipes::image_classification::schema(), path, root.string(), name);
        EXPECT_NO_THROW(recipes::image_classification::read_config(path, {}));  // method, data set, shots
      } else {
        ADD_FAILURE() << "no schema registered in this test for recipes/configs/" << name;
        continue;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 2);
}
