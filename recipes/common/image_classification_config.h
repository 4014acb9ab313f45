#pragma once
// The image_classification recipe's configuration (recipes/configs/image_classification/*.yaml + overrides).
#include <string>
#include <vector>

#include "core/config/schema.h"
#include "core/trainer/trainer_options.h"

namespace softprompt::recipes::image_classification {

struct Config {
  std::string backbone_path;   // HF CLIP directory or OpenAI-layout .safetensors; "" = the starter CLIP
  std::string tokenizer_path;  // "" = the CLIP BPE in the backbone directory, else the shipped one
  std::string dataset;         // fashion_mnist | mnist | shapes | folder | csv
  std::string data_dir;        // fashion_mnist / mnist: the fetch script's data folder
  std::string train_path, test_path;  // folder: root/<class>/*.png; csv: path,label files
  int64_t test_images = 0;            // evaluate on the first N test images (0 = all)
  std::string method;  // zero_shot | coop | cocoop | vpt_shallow | vpt_deep | maple | ivlp | linear_probe
  std::vector<std::string> templates;  // zero-shot templates ("{}" = class name); several = ensembling
  bool base_to_novel = false;          // train on the first half of the classes, report base / novel / HM
  std::vector<int64_t> shots;          // k labelled images per training class (one run per k and seed)
  std::vector<int64_t> seeds;
  int64_t n_ctx = 4;
  std::string ctx_init, class_position;
  bool class_specific = false;
  int64_t vision_tokens = 4, depth = 0;
  std::string text_template;  // the text side of VPT
  std::string optimizer, schedule;
  core::trainer::TrainerOptions train;
  std::string output_dir;
};

core::config::Schema<Config> schema();
// Reads the file (or built-in defaults when `path` is empty) with overrides; fills train's enums and checks
// the method name and the shot counts (InputError naming the bad value).
Config read_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace softprompt::recipes::image_classification
