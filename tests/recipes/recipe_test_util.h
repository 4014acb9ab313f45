#pragma once
// Shared by the end-to-end recipe tests: running a built executable, and the tiny text fixtures (a random
// 1-block GPT-2 of width 16 with the real GPT-2 vocabulary files, and 16 labelled sentences).
#include <sys/wait.h>
#include <torch/torch.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "models/gpt2/saver.h"
#include "recipes/common/lm_pretraining.h"

namespace softprompt::test {

struct RunResult {
  int code;         // exit status; -1 when a signal ended it
  std::string out;  // stdout and stderr together
};

inline RunResult run(const std::string& cmd) {
  std::array<char, 4096> buf{};
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline int count_lines_with(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

inline models::gpt2::Config tiny_gpt2_config() {
  models::gpt2::Config c;
  c.n_embd = 16;
  c.n_layer = 1;
  c.n_head = 2;
  c.n_positions = 64;
  return c;
}

// A random tiny GPT-2 saved as an HF directory `dir` with GPT-2's encoder.json / vocab.bpe.
inline void write_tiny_text_lm(const std::filesystem::path& dir) {
  torch::manual_seed(0);
  models::gpt2::Model m(tiny_gpt2_config());
  recipes::init_gpt2_weights(*m);
  models::gpt2::save_pretrained(*m, dir.string());
  for (const char* f : {"encoder.json", "vocab.bpe"})
    std::filesystem::copy_file(std::filesystem::path(SOFTPROMPT_SOURCE_DIR) / "assets/tokenizers/gpt2" / f, dir / f);
}

// 8 positive and 8 negative sentences as JSONL (text, label).
inline void write_tiny_sentiment(const std::filesystem::path& path) {
  std::ofstream d(path);
  const char* pos[] = {"A wonderful film.", "I loved it.", "Great food and friendly staff.", "Works perfectly.",
                       "Best purchase ever.", "Really enjoyable.", "Superb acting.", "Very happy with it."};
  const char* neg[] = {"A terrible film.", "I hated it.", "Cold food and rude staff.", "Broke after a day.",
                       "Worst purchase ever.", "Really boring.", "Awful acting.", "Very unhappy with it."};
  for (int i = 0; i < 8; ++i)
    d << nlohmann::json{{"text", pos[i]}, {"label", "positive"}}.dump() << "\n"
      << nlohmann::json{{"text", neg[i]}, {"label", "negative"}}.dump() << "\n";
}

}  // namespace softprompt::test
