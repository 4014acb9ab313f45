// `softprompt inspect / export-peft / import-peft` end to end with the built binary on the GPT-2 fixture:
// nearest tokens of prompt vectors copied from known vocabulary rows, the PEFT round trip through the CLI,
// and bad inputs ending with one "error:" line and exit code 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/artifact.h"
#include "core/io/atomic_file.h"
#include "core/peft.h"
#include "tests/core/temp_dir.h"

namespace softprompt::core {
namespace {

struct CliResult {
  int code = -1;
  std::string out, err;
};

CliResult run_cli(const testing::TempDir& dir, const std::string& args) {
  const std::string binary = std::string(SOFTPROMPT_BINARY_DIR) + "/recipes/softprompt";
  EXPECT_TRUE(std::filesystem::exists(binary)) << "build the softprompt target first: " << binary;
  const std::string cmd =
      binary + " --threads 1 " + args + " >'" + (dir / "stdout") + "' 2>'" + (dir / "stderr") + "'";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = io::read_file(dir / "stdout");
  r.err = io::read_file(dir / "stderr");
  return r;
}

const std::string kFixtures = SOFTPROMPT_TEST_FIXTURES;

// An artifact whose 3 prompt vectors are scaled copies of GPT-2 fixture embedding rows 10, 20 and 30.
void save_probe_artifact(const std::string& path) {
  const auto wte =
      io::load_safetensors(kFixtures + "/gpt2/model/model.safetensors").at("transformer.wte.weight");
  const auto prompt = torch::stack({wte[10] * 2, wte[20] * 0.5, wte[30]});
  Manifest m;
  m.method = "prompt_tuning";
  m.slots = {"text"};
  m.backbone = {"gpt2-fixture", "0000000000000000", 32, 2, 4};
  m.labels = {"a", "b"};
  save_artifact(path, {{"text.prompt_embeddings", prompt}}, m);
}

TEST(IoCli, InspectPrintsManifestAndNearestTokens) {
  testing::TempDir dir;
  save_probe_artifact(dir / "probe");
  const auto r = run_cli(dir, "inspect '" + (dir / "probe.json") + "' --backbone '" + kFixtures +
                                  "/gpt2/model' --tokenizer '" + kFixtures + "/gpt2_tokenizer' --top 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("prompt_tuning"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("text.prompt_embeddings  F32 [3, 32]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DIFFER from the artifact's 0000000000000000"), std::string::npos) << r.out;
  // GPT-2 ids 10, 20, 30 are "+", "5", "?"; a scaled copy has cosine 1.
  EXPECT_NE(r.out.find("text.prompt_embeddings[0]  \"+\"#10 1.000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("text.prompt_embeddings[1]  \"5\"#20 1.000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("text.prompt_embeddings[2]  \"?\"#30 1.000"), std::string::npos) << r.out;
  // Without a backbone: the manifest alone.
  const auto plain = run_cli(dir, "inspect '" + (dir / "probe") + "'");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("nearest tokens"), std::string::npos);
}

TEST(IoCli, PeftExportImportThroughTheCli) {
  testing::TempDir dir;
  save_probe_artifact(dir / "probe");
  auto r = run_cli(dir, "export-peft '" + (dir / "probe") + "' '" + (dir / "peft") + "' --task-type SEQ_CLS");
  ASSERT_EQ(r.code, 0) << r.err;
  const PeftAdapter a = load_peft(dir / "peft");
  EXPECT_EQ(a.config.task_type, "SEQ_CLS");
  r = run_cli(dir, "import-peft '" + (dir / "peft") + "' '" + (dir / "back") + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(torch::equal(load_artifact(dir / "back").tensors.at("text.prompt_embeddings"),
                           load_artifact(dir / "probe").tensors.at("text.prompt_embeddings")));
}

TEST(IoCli, BadInputsEndWithOneErrorLine) {
  testing::TempDir dir;
  save_probe_artifact(dir / "probe");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"inspect '" + (dir / "missing") + "'", "missing.json"},
      {"inspect '" + (dir / "probe") + "' --backbone '" + kFixtures + "/gpt2/model' --embedding-key nope",
       "no input embedding matrix"},
      {"inspect '" + (dir / "probe") + "' --top 0", "--top must be >= 1"},
      {"import-peft '" + (dir / "nowhere") + "' '" + (dir / "x") + "'", "nowhere"},
      {"export-peft '" + (dir / "missing") + "' '" + (dir / "out") + "'", "missing.json"},
  };
  for (const auto& [args, needle] : cases) {
    const auto r = run_cli(dir, args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "x.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

}  // namespace
}  // namespace softprompt::core
