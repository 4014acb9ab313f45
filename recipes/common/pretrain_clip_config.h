#pragma once
// The pretrain_clip recipe's configuration (recipes/configs/pretrain_clip/*.yaml + key=value overrides).
#include <string>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"

namespace softprompt::recipes::pretrain_clip {

struct Config {
  std::string data_dir;    // the fetch script's data folder (fashion-mnist/, mnist/)
  std::string output_dir;  // "" = <cache>/starter/clip
  bool force = false;
  int64_t fashion_images = 0;  // Fashion-MNIST TRAIN images used (the test split is never seen)
  int64_t mnist_images = 0;    // MNIST train-part images used
  int64_t shape_images = 0;    // synthetic shape scenes rendered
  int64_t dev_images = 0;      // held-out images per set for the zero-shot check during training
  int64_t image_size = 32, patch_size = 8;
  int64_t vision_width = 128, vision_layers = 2, vision_heads = 4;
  int64_t text_width = 128, text_layers = 2, text_heads = 4, context = 24;
  int64_t projection_dim = 128;
  core::trainer::TrainerOptions train;
};

core::config::Schema<Config> schema();

}  // namespace softprompt::recipes::pretrain_clip
