// pretrain_lm: the starter text backbone. Trains a sentencepiece tokenizer and a small GPT-2-architecture LM
// on local text (Brown corpus, SpamAssassin ham bodies, and the TRAIN split of the sentiment sentences as
// unlabeled in-domain text; never dev or test), saves it in the HF layout (config.json + model.safetensors +
// tokenizer.model) under the cache, and reuses it when a finished model with the same settings is there.
//   pretrain_lm --config recipes/configs/pretrain_lm/starter_text_lm.yaml [key=value ...]
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/config/schema.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/trainer/seed.h"
#include "core/trainer/trainer.h"
#include "modalities/text/sentencepiece_tokenizer.h"
#include "models/gpt2/saver.h"
#include "recipes/common/lm_corpus.h"
#include "recipes/common/pretrain_lm_config.h"
#include "recipes/common/lm_pretraining.h"
#include "recipes/common/recipe_main.h"
#include "recipes/common/starter_cache.h"
#include "recipes/common/text_data.h"

namespace fs = std::filesystem;
using namespace softprompt;
using softprompt::recipes::pretrain_lm::Config;
using softprompt::recipes::pretrain_lm::schema;

namespace {

// Settings that change the model (paths and `force` do not).
nlohmann::json identity(const core::config::Schema<Config>& s, const Config& c) {
  auto j = s.to_json(c);
  j.erase("data");
  j["output"].erase("dir");
  j["output"].erase("force");
  return j;
}

struct Corpus {
  std::vector<std::string> train, heldout;
};

Corpus build_corpus(const Config& c) {
  Corpus corpus;
  const auto brown = recipes::read_brown_corpus(c.data_dir + "/brown");
  for (size_t i = 0; i < brown.size(); ++i) (i % 50 == 7 ? corpus.heldout : corpus.train).push_back(brown[i]);
  for (auto& e : recipes::read_email_bodies(c.data_dir + "/spam", static_cast<size_t>(c.email_docs)))
    corpus.train.push_back(std::move(e));
  const auto splits = recipes::uci_sentiment_splits(c.data_dir + "/sentiment");
  for (int64_t r = 0; r < c.in_domain_repeat; ++r)
    for (const auto& e : splits.train) corpus.train.push_back(e.text);
  return corpus;
}

int run(const recipes::RecipeArgs& args) {
  const auto s = schema();
  if (args.help) {
    std::cout << "pretrain_lm --config FILE [key=value ...]\n" << s.help_text();
    return 0;
  }
  const auto overrides = core::config::parse_overrides(args.overrides);
  Config c = args.config_path.empty() ? s.read(YAML::Node(), "<defaults>", overrides)
                                      : s.read_file(args.config_path, overrides);
  const std::string out = c.output_dir.empty() ? recipes::cache_dir() + "/starter/text_lm" : c.output_dir;
  const auto id = identity(s, c).dump();
  if (const auto report = c.force ? std::nullopt : recipes::reusable_pretrain_report(out, id)) {
    std::cout << "[pretrain_lm] reusing " << out << " (held-out perplexity "
              << report->value("heldout_perplexity", 0.0) << ")\n";
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Corpus corpus = build_corpus(c);
  const std::string tmp = out + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  {
    std::ofstream text(tmp + "/corpus.txt");
    for (const auto& p : corpus.train) text << p << "\n";
    if (!text) throw IoError("cannot write '" + tmp + "/corpus.txt'");
  }
  std::cout << "[pretrain_lm] corpus: " << corpus.train.size() << " training paragraphs, " << corpus.heldout.size()
            << " held-out Brown paragraphs; training the tokenizer (vocab " << c.vocab_size << ")\n";
  modalities::text::SentencePieceTrainOptions spm;
  spm.input = tmp + "/corpus.txt";
  spm.model_prefix = tmp + "/tokenizer";
  spm.vocab_size = c.vocab_size;
  spm.num_threads = 1;
  spm.extra = {{"max_sentence_length", "8192"}, {"input_sentence_size", "400000"}, {"shuffle_input_sentence", "false"}};
  modalities::text::train_sentencepiece(spm);
  modalities::text::SentencePieceTokenizer tok(tmp + "/tokenizer.model");
  const int64_t eos = tok.special_tokens().eos.value_or(2);
  const auto train_w = recipes::make_windows(tok.encode_all(corpus.train), eos, c.context);
  const auto dev_w = recipes::make_windows(tok.encode_all(corpus.heldout), eos, c.context);
  std::cout << "[pretrain_lm] " << train_w.numel() << " training tokens in " << train_w.size(0) << " windows, "
            << dev_w.numel() << " held-out tokens\n";

  core::trainer::seed_everything(c.train.seed);
  models::gpt2::Config mc;
  mc.name = "starter-text-lm";
  mc.vocab_size = tok.vocab_size();
  mc.n_positions = c.context;
  mc.n_embd = c.n_embd;
  mc.n_layer = c.n_layer;
  mc.n_head = c.n_head;
  mc.bos_token_id = tok.special_tokens().bos.value_or(eos);
  mc.eos_token_id = eos;
  mc.validate();
  models::gpt2::Model model(mc);
  recipes::init_gpt2_weights(*model);
  recipes::LmPretrainTask task(model, train_w, dev_w);
  auto opts = c.train;
  opts.optimizer = core::trainer::OptimizerKind::kAdamW;
  opts.schedule = core::trainer::ScheduleKind::kCosine;
  opts.metric = "perplexity";
  opts.metric_mode = core::trainer::MetricMode::kMin;
  opts.checkpoint_dir = tmp + "/train";
  core::trainer::Trainer trainer(opts);
  const auto result = trainer.fit(task);
  std::cout << core::trainer::summary(result, opts);
  const auto heldout = task.evaluate("dev").metrics.at("perplexity");

  models::gpt2::save_pretrained(*model, tmp);
  fs::remove(tmp + "/corpus.txt");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json report = {{"settings", id},
                           {"heldout_perplexity", heldout},
                           {"steps", result.steps},
                           {"train_tokens", train_w.numel()},
                           {"heldout_tokens", dev_w.numel()},
                           {"seconds", secs},
                           {"parameters", [&] {
                              int64_t n = 0;
                              for (const auto& p : model->parameters()) n += p.numel();
                              return n;
                            }()}};
  core::io::write_file_atomically(tmp + "/softprompt_pretrain.json", report.dump(2) + "\n");
  core::io::write_file_atomically(tmp + "/pretrain_config.yaml", s.to_yaml(c));
  recipes::publish_directory(tmp, out);  // the finished directory appears at once
  std::cout << "[pretrain_lm] saved " << out << ": held-out perplexity " << heldout << ", " << result.steps
            << " steps, " << static_cast<int>(secs) << " s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return recipes::run_recipe("pretrain_lm", argc, argv, run); }
