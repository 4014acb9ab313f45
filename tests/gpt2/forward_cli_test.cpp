// `softprompt forward` end to end on the GPT-2 fixtures: the built binary reproduces HF's outputs, and bad
// inputs end with one "error:" line, exit code 2 and no output file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/io/atomic_file.h"
#include "gpt2_test_util.h"

using namespace softprompt;
using namespace gpt2_test;
using softprompt::core::io::TensorMap;

namespace {

struct CliResult {
  int code = -1;
  std::string err;
};

CliResult run_forward(const TempDir& dir, const TensorMap& inputs,
                      const std::string& backbone = model_dir()) {
  const std::string binary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
  EXPECT_TRUE(std::filesystem::exists(binary)) << "build the softprompt target first: " << binary;
  core::io::save_safetensors(dir.path("in.safetensors"), inputs);
  const std::string cmd = binary + " --threads 1 forward --backbone '" + backbone + "' --inputs '" +
                          dir.path("in.safetensors") + "' --outputs '" + dir.path("out.safetensors") +
                          "' >'" + dir.path("stdout") + "' 2>'" + dir.path("stderr") + "'";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = core::io::read_file(dir.path("stderr"));
  return r;
}

TensorMap pick(const TensorMap& all, const std::vector<std::string>& names) {
  TensorMap out;
  for (const auto& n : names) out[n] = all.at(n);
  return out;
}

void expect_one_error_line(const TempDir& dir, const CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path("out.safetensors")));
}

}  // namespace

TEST(Gpt2ForwardCli, ReproducesTheFixtures) {
  auto right = io("io_right_pad.safetensors");
  TempDir a;
  CliResult r = run_forward(a, pick(right, {"input_ids", "attention_mask"}));
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = core::io::load_safetensors(a.path("out.safetensors"));
  // HF's default positions (0..T-1): every position matches, pads included.
  for (const char* name :
       {"logits", "last_hidden_state", "hidden_states.0", "hidden_states.1", "hidden_states.2"}) {
    ASSERT_TRUE(out.count(name)) << name;
    const double err = max_diff(out[name], right[name]);
    std::cout << "[cli] right_pad " << name << " max abs err " << err << "\n";
    EXPECT_LT(err, 1e-4) << name;
  }
  EXPECT_EQ(out.size(), 5u);

  auto left = io("io_left_pad.safetensors");
  TempDir b;
  ASSERT_EQ(run_forward(b, pick(left, {"input_ids", "attention_mask", "position_ids"})).code, 0);
  auto out_left = core::io::load_safetensors(b.path("out.safetensors"));
  EXPECT_LT(max_diff_where(out_left["logits"], left["logits"], left["attention_mask"]), 1e-4);

  auto soft = io("io_soft_prompt.safetensors");
  TempDir c;
  ASSERT_EQ(run_forward(c, pick(soft, {"inputs_embeds", "attention_mask"})).code, 0);
  auto out_soft = core::io::load_safetensors(c.path("out.safetensors"));
  EXPECT_LT(max_diff(out_soft["logits"], soft["logits"]), 1e-4);
}

TEST(Gpt2ForwardCli, BadInputsExitTwoWithOneLine) {
  auto right = io("io_right_pad.safetensors");
  {
    TempDir d;  // a wrong name
    expect_one_error_line(d, run_forward(d, {{"input_idz", right["input_ids"]}}), "input_idz");
  }
  {
    TempDir d;  // a wrong dtype
    expect_one_error_line(d, run_forward(d, {{"input_ids", right["input_ids"].to(torch::kFloat)}}), "dtype");
  }
  {
    TempDir d;  // a wrong shape
    TensorMap in{{"input_ids", right["input_ids"]}, {"attention_mask", right["attention_mask"].slice(1, 1)}};
    expect_one_error_line(d, run_forward(d, in), "[2,6]");
  }
  {
    TempDir d;  // an id outside the vocabulary
    expect_one_error_line(d, run_forward(d, {{"input_ids", right["input_ids"] + 1}}), "input_ids");
  }
  {
    TempDir d;  // both ids and embeddings
    TensorMap in{{"input_ids", right["input_ids"]}, {"inputs_embeds", torch::zeros({2, 7, 32})}};
    expect_one_error_line(d, run_forward(d, in), "exactly one");
  }
  {
    TempDir d;  // a directory that is not a model
    expect_one_error_line(d, run_forward(d, {{"input_ids", right["input_ids"]}}, d.path()), "config.json");
  }
}
