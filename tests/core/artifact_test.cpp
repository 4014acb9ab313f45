// Prompt artifacts: save -> load identity, every kind of broken artifact refused with the file named, the
// backbone check, and atomicity when the write fails midway.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "tests/core/temp_dir.h"

namespace softprompt::core {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

io::TensorMap sample_tensors(int64_t p = 4, int64_t d = 8) {
  torch::manual_seed(0);
  return {{"text.prompt_embeddings", torch::randn({p, d})},
          {"text_kv_0.key.prompt_embeddings", torch::randn({2, d}, torch::kFloat16)}};
}

Manifest sample_manifest() {
  Manifest m;
  m.method = "prompt_tuning";
  m.method_options = {{"num_tokens", 4}, {"init", "text"}, {"init_text", "classify"}};
  m.slots = {"text", "text.kv.0"};
  m.backbone = {"gpt2-tiny", "00112233aabbccdd", 8, 2, 4};
  m.tokenizer = "gpt2";
  m.prompt_template = "{soft:4} {text} It was {mask}.";
  m.labels = {"negative", "positive"};
  m.verbalizer = {{"negative", {" bad"}}, {"positive", {" great"}}};
  m.metrics = {{"accuracy", 0.875}, {"loss", 0.25}};
  m.extra = {{"dataset", "sst2"}};
  return m;
}

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void expect_same_tensors(const io::TensorMap& a, const io::TensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_EQ(t.scalar_type(), b.at(name).scalar_type()) << name;
    EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
  }
}

// Rewrites the manifest JSON of `stem` through `edit`.
void edit_manifest(const std::string& stem, const std::function<void(json&)>& edit) {
  json j = json::parse(io::read_file(stem + ".json"));
  edit(j);
  std::ofstream(stem + ".json") << j.dump(2);
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Artifact, SaveLoadRoundTrip) {
  testing::TempDir dir;
  const auto tensors = sample_tensors();
  const Manifest saved = save_artifact(dir / "sst2", tensors, sample_manifest(), {"optim:\n  lr: 0.3\n"});
  EXPECT_EQ(files_in(dir.path()),
            (std::vector<std::string>{"sst2.config.yaml", "sst2.json", "sst2.safetensors"}));
  EXPECT_EQ(saved.save_id.size(), 16u);
  EXPECT_FALSE(saved.created_at.empty());
  EXPECT_EQ(saved.tensors.at("text.prompt_embeddings"), (TensorSpec{"F32", {4, 8}}));
  EXPECT_EQ(saved.tensors.at("text_kv_0.key.prompt_embeddings"), (TensorSpec{"F16", {2, 8}}));
  for (const std::string& path : {dir / "sst2", dir / "sst2.json", dir / "sst2.safetensors"}) {
    const Artifact a = load_artifact(path);
    expect_same_tensors(a.tensors, tensors);
    EXPECT_EQ(manifest_to_json(a.manifest), manifest_to_json(saved));
  }
  const Artifact a = load_artifact(dir / "sst2");
  EXPECT_EQ(a.manifest.method_options["init_text"], "classify");
  EXPECT_EQ(a.manifest.backbone.num_attention_heads, 4);
  EXPECT_EQ(a.manifest.verbalizer["positive"][0], " great");
  EXPECT_EQ(a.manifest.config_file, "sst2.config.yaml");
  EXPECT_EQ(io::read_file(dir / "sst2.config.yaml"), "optim:\n  lr: 0.3\n");
  // Loaded tensors own their memory: training in place works and does not touch the file.
  a.tensors.at("text.prompt_embeddings").add_(1);
  EXPECT_TRUE(torch::equal(load_artifact(dir / "sst2").tensors.at("text.prompt_embeddings"),
                           tensors.at("text.prompt_embeddings")));
  const auto table = describe_manifest(a.manifest);
  EXPECT_NE(table.find("prompt_tuning"), std::string::npos) << table;
  EXPECT_NE(table.find("text.prompt_embeddings  F32 [4, 8]"), std::string::npos) << table;
  EXPECT_NE(table.find("accuracy=0.875"), std::string::npos) << table;
  EXPECT_NE(table.find("gpt2-tiny, weights 00112233aabbccdd"), std::string::npos) << table;
}

TEST(Artifact, Paths) {
  EXPECT_EQ(artifact_paths("a/b.json").stem, "a/b");
  EXPECT_EQ(artifact_paths("a/b.safetensors").manifest, "a/b.json");
  EXPECT_EQ(artifact_paths("a/b").config, "a/b.config.yaml");
  EXPECT_THROW(artifact_paths(".json"), InputError);
  EXPECT_THROW(artifact_paths("dir/"), InputError);
}

TEST(Artifact, CorruptManifestJson) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  std::ofstream(dir / "p.json") << "{\"format\": \"softprompt.prompt\", ";
  const auto msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find(dir / "p.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
}

TEST(Artifact, ManifestFieldErrorsNameTheKey) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j.erase("method"); }, "'method' is missing"},
      {[](json& j) { j["slots"] = {"text.lyr.3"}; }, "invalid slot name 'text.lyr.3'"},
      {[](json& j) { j["labels"] = "pos"; }, "'labels' must be a list of strings"},
      {[](json& j) { j["metrics"]["acc"] = "high"; }, "'metrics.acc' must be a number"},
      {[](json& j) { j["backbone"]["num_layers"] = -1; },
       "'backbone.num_layers' must be a non-negative integer"},
      {[](json& j) { j["tensors"]["text.prompt_embeddings"]["dtype"] = "F31"; }, "unknown dtype 'F31'"},
      {[](json& j) { j["format"] = "peft"; }, "'format' is 'peft'"},
      {[](json& j) { j["labelz"] = json::array(); }, "manifest key 'labelz' is unknown"},
      {[](json& j) { j["format_version"] = "1"; }, "'format_version' must be an integer"},
      {[](json& j) { j = json::array(); }, "must be a JSON object"},
  };
  for (const auto& [edit, expected] : cases) {
    save_artifact(dir / "p", sample_tensors(), sample_manifest());
    edit_manifest(dir / "p", edit);
    const auto msg = input_error([&] { load_artifact(dir / "p"); });
    EXPECT_NE(msg.find(expected), std::string::npos) << "got: " << msg;
    EXPECT_NE(msg.find("p.json"), std::string::npos) << msg;
  }
}

TEST(Artifact, WrongFormatVersion) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  edit_manifest(dir / "p", [](json& j) { j["format_version"] = 2; });
  const auto msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find("format version 2 is not supported"), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer softprompt"), std::string::npos) << msg;
}

TEST(Artifact, MissingAndUnexpectedTensors) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  edit_manifest(dir / "p", [](json& j) {
    j["tensors"]["text_kv_0.value.prompt_embeddings"] = j["tensors"]["text.prompt_embeddings"];
  });
  auto msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find("tensor 'text_kv_0.value.prompt_embeddings' named by the manifest is missing"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("p.safetensors"), std::string::npos) << msg;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  edit_manifest(dir / "p", [](json& j) { j["tensors"].erase("text_kv_0.key.prompt_embeddings"); });
  msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find("'text_kv_0.key.prompt_embeddings' is not named by the manifest"), std::string::npos)
      << msg;
}

TEST(Artifact, ShapeAndDtypeMismatch) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  edit_manifest(dir / "p", [](json& j) { j["tensors"]["text.prompt_embeddings"]["shape"] = {5, 8}; });
  auto msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find("'text.prompt_embeddings' is F32 [4, 8], the manifest says F32 [5, 8]"),
            std::string::npos)
      << msg;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  edit_manifest(dir / "p", [](json& j) { j["tensors"]["text.prompt_embeddings"]["dtype"] = "BF16"; });
  msg = input_error([&] { load_artifact(dir / "p"); });
  EXPECT_NE(msg.find("the manifest says BF16 [4, 8]"), std::string::npos) << msg;
}

TEST(Artifact, MissingOrTruncatedFiles) {
  testing::TempDir dir;
  EXPECT_THROW(load_artifact(dir / "none"), IoError);
  std::ofstream(dir / "only.json") << "{}";
  EXPECT_THROW(load_artifact(dir / "only"), IoError);
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  const std::string bytes = io::read_file(dir / "p.safetensors");
  std::ofstream(dir / "p.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  EXPECT_THROW(load_artifact(dir / "p"), InputError);
  fs::remove(dir / "p.safetensors");
  try {
    load_artifact(dir / "p");
    FAIL() << "no error for a missing tensors file";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("p.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Artifact, StaleOrMissingManifestIsRecoveredFromTheTensorFile) {
  testing::TempDir dir;
  save_artifact(dir / "a", sample_tensors(), sample_manifest());
  auto m = sample_manifest();
  m.metrics = {{"accuracy", 0.5}};
  const io::TensorMap b_tensors = {{"text.prompt_embeddings", torch::ones({3, 8})}};
  const Manifest b = save_artifact(dir / "b", b_tensors, m);
  // As after a crash between the renames of a save: new tensors beside the old .json.
  fs::copy_file(dir / "b.safetensors", dir / "a.safetensors", fs::copy_options::overwrite_existing);
  std::vector<std::string> warnings;
  LoadOptions o;
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  Artifact a = load_artifact(dir / "a", o);
  expect_same_tensors(a.tensors, b_tensors);
  EXPECT_EQ(manifest_to_json(a.manifest), manifest_to_json(b));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("a.json' is stale"), std::string::npos) << warnings[0];
  // As after a crash in the first save of a name: tensors without a .json.
  fs::remove(dir / "a.json");
  a = load_artifact(dir / "a", o);
  expect_same_tensors(a.tensors, b_tensors);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[1].find("a.json' is missing"), std::string::npos) << warnings[1];
  // Tensors without an embedded manifest (not written by save_artifact) cannot be paired with a stale .json.
  save_artifact(dir / "c", sample_tensors(), sample_manifest());
  io::save_safetensors(dir / "c.safetensors", sample_tensors(), {{"softprompt.save_id", "0000"}});
  const auto msg = input_error([&] { load_artifact(dir / "c", o); });
  EXPECT_NE(msg.find("not from the same save"), std::string::npos) << msg;
}

TEST(Artifact, BackboneHashMismatch) {
  testing::TempDir dir;
  save_artifact(dir / "p", sample_tensors(), sample_manifest());
  LoadOptions o;
  o.backbone_hash = "ffffffffffffffff";
  o.backbone_id = "gpt2-other";
  const auto msg = input_error([&] { load_artifact(dir / "p", o); });
  EXPECT_NE(msg.find("'gpt2-tiny' (weights hash 00112233aabbccdd)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'gpt2-other' (weights hash ffffffffffffffff)"), std::string::npos) << msg;
  std::vector<std::string> warnings;
  o.on_mismatch = BackboneMismatch::kWarn;
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  EXPECT_NO_THROW(load_artifact(dir / "p", o));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("ffffffffffffffff"), std::string::npos);
  o.on_mismatch = BackboneMismatch::kError;
  o.backbone_hash = "00112233aabbccdd";
  EXPECT_NO_THROW(load_artifact(dir / "p", o));
  // No recorded hash: cannot verify, so warn (never silently accept).
  auto m = sample_manifest();
  m.backbone.weights_hash = "";
  save_artifact(dir / "p", sample_tensors(), m);
  warnings.clear();
  EXPECT_NO_THROW(load_artifact(dir / "p", o));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("records no backbone weights hash"), std::string::npos);
}

TEST(Artifact, InvalidManifestIsRefusedBeforeWriting) {
  testing::TempDir dir;
  auto m = sample_manifest();
  m.slots = {"text.bogus.1"};
  EXPECT_THROW(save_artifact(dir / "p", sample_tensors(), m), InputError);
  m = sample_manifest();
  m.method = "";
  EXPECT_THROW(save_artifact(dir / "p", sample_tensors(), m), InputError);
  EXPECT_THROW(save_artifact(dir / "p", {}, sample_manifest()), InputError);
  EXPECT_TRUE(files_in(dir.path()).empty());
}

// Makes every write past `bytes` fail with EFBIG (a full disk, a quota) for the scope's lifetime.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit r = old_;
    r.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &r), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

TEST(Artifact, FailedWriteLeavesTheOldArtifactAndNoTempFiles) {
  testing::TempDir dir;
  const auto old_tensors = sample_tensors();
  const Manifest old = save_artifact(dir / "p", old_tensors, sample_manifest(), {"a: 1\n"});
  const auto before = files_in(dir.path());
  auto check_intact = [&] {
    EXPECT_EQ(files_in(dir.path()), before);  // no temp file left behind
    const Artifact a = load_artifact(dir / "p");
    expect_same_tensors(a.tensors, old_tensors);
    EXPECT_EQ(a.manifest.save_id, old.save_id);
    EXPECT_EQ(io::read_file(dir / "p.config.yaml"), "a: 1\n");
  };
  {
    // The tensor file's write fails midway (1 MiB of tensors, 64 KiB allowed).
    FileSizeLimit limit(64 << 10);
    EXPECT_THROW(
        save_artifact(dir / "p", {{"text.prompt_embeddings", torch::ones({512, 512})}}, sample_manifest()),
        IoError);
  }
  check_intact();
  {
    // The tensor file is written, then the config file's write fails: nothing is published.
    FileSizeLimit limit(64 << 10);
    EXPECT_THROW(save_artifact(dir / "p", sample_tensors(), sample_manifest(), {std::string(200 << 10, '#')}),
                 IoError);
  }
  check_intact();
  // A tensor that cannot be serialized fails before any file is touched.
  EXPECT_ANY_THROW(save_artifact(
      dir / "p", {{"text.prompt_embeddings", torch::ones({2, 2}, torch::kComplexFloat)}}, sample_manifest()));
  check_intact();
}

TEST(Artifact, KilledMidSaveLeavesALoadableArtifact) {
  // A child saves two versions in turn; once it has completed one save it is SIGKILLed after a delay that
  // differs per trial. Whatever the moment, the artifact loads, and its tensors are those its manifest
  // describes (version 1 or 2: the child's first save replaced version 0).
  testing::TempDir dir;
  auto version = [](int v) {
    Manifest m = sample_manifest();
    m.metrics = {{"version", v}};
    return std::make_pair(
        io::TensorMap{{"text.prompt_embeddings", torch::full({64, 64}, static_cast<float>(v))}}, m);
  };
  // Made before fork: the child runs no tensor kernels.
  const auto v0 = version(0), v1 = version(1), v2 = version(2);
  int recovered = 0;
  for (int trial = 0; trial < 12; ++trial) {
    save_artifact(dir / "p", v0.first, v0.second);
    int saved[2];
    ASSERT_EQ(pipe(saved), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(saved[0]);
      for (int i = 0; i < 1000000; ++i) {
        save_artifact(dir / "p", (i % 2 ? v1 : v2).first, (i % 2 ? v1 : v2).second);
        if (i == 0 && write(saved[1], "s", 1) != 1) _exit(1);
      }
      _exit(0);
    }
    close(saved[1]);
    pollfd first_save{saved[0], POLLIN, 0};
    char byte = 0;
    const bool ok = poll(&first_save, 1, /*timeout_ms=*/60000) == 1 && read(saved[0], &byte, 1) == 1;
    close(saved[0]);
    if (ok) usleep(700 * trial);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    ASSERT_TRUE(ok) << "the child did not complete its first save";
    LoadOptions o;
    o.warn = [&](const std::string&) { ++recovered; };
    const Artifact a = load_artifact(dir / "p", o);
    const int v = a.manifest.metrics.at("version").get<int>();
    EXPECT_TRUE(v == 1 || v == 2) << "trial " << trial << " version " << v;
    EXPECT_TRUE(
        torch::equal(a.tensors.at("text.prompt_embeddings"), version(v).first.at("text.prompt_embeddings")))
        << "trial " << trial << " version " << v;
  }
  int temps = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    temps += e.path().filename().string().find(".tmp.") != std::string::npos;
  std::cout << "[ info ] 12 kills: " << recovered << " recovered from a stale manifest, " << temps
            << " temporary files left by killed saves\n";
}

}  // namespace
}  // namespace softprompt::core
