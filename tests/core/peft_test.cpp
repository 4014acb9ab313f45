// PEFT prompt-learning adapters: the directory format, its validation, the prefix-tuning layout, and
// round trips with softprompt artifacts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/io/safetensors.h"
#include "core/peft.h"
#include "core/peft_convert.h"
#include "tests/core/temp_dir.h"

namespace softprompt::core {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// adapter_config.json as PEFT's save_pretrained writes it for prompt tuning (sorted keys, nulls kept).
const char* kPeftPromptConfig = R"({
  "auto_mapping": null,
  "base_model_name_or_path": "gpt2",
  "inference_mode": true,
  "modules_to_save": null,
  "num_attention_heads": 4,
  "num_layers": 2,
  "num_transformer_submodules": 1,
  "num_virtual_tokens": 8,
  "peft_type": "PROMPT_TUNING",
  "peft_version": "0.13.2",
  "prompt_tuning_init": "TEXT",
  "prompt_tuning_init_text": "Classify if the tweet is a complaint or not:",
  "revision": null,
  "task_type": "CAUSAL_LM",
  "token_dim": 16,
  "tokenizer_kwargs": null,
  "tokenizer_name_or_path": "gpt2"
})";

const char* kPeftPrefixConfig = R"({
  "base_model_name_or_path": "gpt2",
  "encoder_hidden_size": 16,
  "inference_mode": true,
  "num_attention_heads": 4,
  "num_layers": 3,
  "num_transformer_submodules": 1,
  "num_virtual_tokens": 5,
  "peft_type": "PREFIX_TUNING",
  "prefix_projection": false,
  "revision": null,
  "task_type": "SEQ_CLS",
  "token_dim": 16
})";

// Writes a PEFT adapter directory by hand, as PEFT would (not through save_peft).
std::string write_adapter(const testing::TempDir& dir, const std::string& name, const std::string& config,
                          const io::TensorMap& tensors) {
  const auto path = dir.path() / name;
  fs::create_directories(path);
  std::ofstream(path / kPeftConfigFile) << config;
  io::save_safetensors((path / kPeftWeightsFile).string(), tensors, {{"format", "pt"}});
  return path.string();
}

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Peft, ImportExportRoundTripKeepsTensorAndConfig) {
  testing::TempDir dir;
  const auto emb = torch::randn({8, 16});
  const auto src = write_adapter(dir, "peft", kPeftPromptConfig, {{"prompt_embeddings", emb}});
  const Manifest m = import_peft(src, dir / "imported");
  EXPECT_EQ(m.method, "prompt_tuning");
  EXPECT_EQ(m.slots, (std::vector<std::string>{"text"}));
  EXPECT_EQ(m.backbone.id, "gpt2");
  EXPECT_EQ(m.backbone.hidden_size, 16);
  EXPECT_EQ(m.method_options["init"], "text");
  EXPECT_EQ(m.method_options["init_text"], "Classify if the tweet is a complaint or not:");
  const Artifact a = load_artifact(dir / "imported");
  EXPECT_TRUE(torch::equal(a.tensors.at("text.prompt_embeddings"), emb));

  export_peft(dir / "imported", dir / "out");
  const PeftAdapter back = load_peft(dir / "out");
  EXPECT_TRUE(torch::equal(back.prompt_embeddings, emb));
  EXPECT_EQ(json::parse(io::read_file(dir / "out/adapter_config.json")), json::parse(kPeftPromptConfig));
  EXPECT_EQ(io::SafetensorsFile(dir / "out/adapter_model.safetensors").infos().size(), 1u);
}

TEST(Peft, ArtifactExportImportRoundTrip) {
  testing::TempDir dir;
  Manifest m;
  m.method = "prompt_tuning";
  m.method_options = {{"num_tokens", 3}, {"init", "random"}};
  m.slots = {"text"};
  m.backbone = {"gpt2", "0011223344556677", 16, 2, 4};
  m.tokenizer = "gpt2";
  m.prompt_template = "{soft:3} {text} It was {mask}.";
  m.labels = {"neg", "pos"};
  m.verbalizer = {{"neg", {" bad"}}, {"pos", {" good"}}};
  m.metrics = {{"accuracy", 0.75}};
  const io::TensorMap tensors = {{"text.prompt_embeddings", torch::randn({3, 16})}};
  const Manifest saved = save_artifact(dir / "a", tensors, m);
  PeftExportOptions o;
  o.task_type = "SEQ_CLS";
  export_peft(dir / "a", dir / "peft", o);

  const json config = json::parse(io::read_file(dir / "peft/adapter_config.json"));
  EXPECT_EQ(config["peft_type"], "PROMPT_TUNING");
  EXPECT_EQ(config["task_type"], "SEQ_CLS");
  EXPECT_EQ(config["num_virtual_tokens"], 3);
  EXPECT_EQ(config["token_dim"], 16);
  EXPECT_EQ(config["num_transformer_submodules"], 1);
  EXPECT_EQ(config["num_attention_heads"], 4);
  EXPECT_EQ(config["num_layers"], 2);
  EXPECT_EQ(config["prompt_tuning_init"], "RANDOM");
  EXPECT_TRUE(config["prompt_tuning_init_text"].is_null());
  EXPECT_EQ(config["tokenizer_name_or_path"], "gpt2");
  EXPECT_EQ(config["base_model_name_or_path"], "gpt2");
  EXPECT_EQ(config["inference_mode"], true);
  EXPECT_TRUE(config["revision"].is_null());

  const Manifest back = import_peft(dir / "peft", dir / "b");
  const Artifact b = load_artifact(dir / "b");
  EXPECT_TRUE(torch::equal(b.tensors.at("text.prompt_embeddings"), tensors.at("text.prompt_embeddings")));
  EXPECT_EQ(back.method, saved.method);
  EXPECT_EQ(back.slots, saved.slots);
  EXPECT_EQ(back.prompt_template, saved.prompt_template);
  EXPECT_EQ(back.labels, saved.labels);
  EXPECT_EQ(back.verbalizer, saved.verbalizer);
  EXPECT_EQ(back.metrics, saved.metrics);
  EXPECT_EQ(back.tokenizer, saved.tokenizer);
  EXPECT_EQ(back.backbone.weights_hash, "0011223344556677");
  EXPECT_EQ(back.tensors, saved.tensors);
  for (const auto& [k, v] : saved.method_options.items()) EXPECT_EQ(back.method_options[k], v) << k;
  // Exporting the re-imported artifact writes the same adapter again.
  export_peft(dir / "b", dir / "peft2");
  EXPECT_EQ(json::parse(io::read_file(dir / "peft2/adapter_config.json")), config);
}

TEST(Peft, PrefixLayoutIsPeftsKeyThenValuePerLayer) {
  // PEFT views [P, L*2*D] as [P, L*2, heads, head_dim] and pairs chunks (2l, 2l+1) as layer l's (key, value).
  const int64_t P = 5, L = 3, D = 16;
  const auto e = torch::arange(P * L * 2 * D, torch::kFloat).reshape({P, L * 2 * D});
  const auto chunks = e.view({P, L * 2, D});
  const auto kv = split_prefix(e, L);
  ASSERT_EQ(kv.size(), 3u);
  for (int64_t l = 0; l < L; ++l) {
    EXPECT_TRUE(torch::equal(kv[l].first, chunks.select(1, 2 * l)));
    EXPECT_TRUE(torch::equal(kv[l].second, chunks.select(1, 2 * l + 1)));
  }
  EXPECT_TRUE(torch::equal(join_prefix(kv), e));
}

TEST(Peft, PrefixTuningImportExport) {
  testing::TempDir dir;
  const auto e = torch::randn({5, 3 * 2 * 16});
  const auto src = write_adapter(dir, "prefix", kPeftPrefixConfig, {{"prompt_embeddings", e}});
  const Manifest m = import_peft(src, dir / "a");
  EXPECT_EQ(m.method, "prefix_tuning");
  EXPECT_EQ(m.slots, (std::vector<std::string>{"text.kv.0", "text.kv.1", "text.kv.2"}));
  const Artifact a = load_artifact(dir / "a");
  EXPECT_EQ(a.tensors.size(), 6u);
  const auto kv = split_prefix(e, 3);
  EXPECT_TRUE(torch::equal(a.tensors.at("text_kv_1.key.prompt_embeddings"), kv[1].first));
  EXPECT_TRUE(torch::equal(a.tensors.at("text_kv_2.value.prompt_embeddings"), kv[2].second));
  export_peft(dir / "a", dir / "out");
  EXPECT_TRUE(torch::equal(load_peft(dir / "out").prompt_embeddings, e));
  EXPECT_EQ(json::parse(io::read_file(dir / "out/adapter_config.json")), json::parse(kPeftPrefixConfig));
}

TEST(Peft, PTuningImportsAsMaterializedPrompt) {
  testing::TempDir dir;
  json config = json::parse(kPeftPromptConfig);
  config["peft_type"] = "P_TUNING";
  config.erase("prompt_tuning_init");
  config.erase("prompt_tuning_init_text");
  config["encoder_hidden_size"] = 16;
  config["encoder_reparameterization_type"] = "MLP";
  const auto e = torch::randn({8, 16}, torch::kBFloat16);
  const auto src = write_adapter(dir, "pt", config.dump(), {{"prompt_embeddings", e}});
  const Manifest m = import_peft(src, dir / "a");
  EXPECT_EQ(m.method, "p_tuning");
  const Artifact a = load_artifact(dir / "a");
  EXPECT_EQ(a.tensors.at("text.prompt_embeddings").scalar_type(), torch::kBFloat16);  // stored dtype kept
  EXPECT_TRUE(torch::equal(a.tensors.at("text.prompt_embeddings"), e));
  export_peft(dir / "a", dir / "out");
  EXPECT_EQ(json::parse(io::read_file(dir / "out/adapter_config.json")), config);
}

TEST(Peft, BadAdaptersAreInputErrors) {
  testing::TempDir dir;
  const auto emb = torch::randn({8, 16});
  auto with = [&](const std::function<void(json&)>& edit) {
    json c = json::parse(kPeftPromptConfig);
    edit(c);
    return c.dump();
  };
  const std::vector<std::tuple<std::string, std::string, io::TensorMap, std::string>> cases = {
      {"lora",
       with([](json& c) { c["peft_type"] = "LORA"; }),
       {{"prompt_embeddings", emb}},
       "'peft_type' is 'LORA'; softprompt imports PROMPT_TUNING, P_TUNING and PREFIX_TUNING"},
      {"no_type",
       with([](json& c) { c.erase("peft_type"); }),
       {{"prompt_embeddings", emb}},
       "'peft_type' is missing"},
      {"no_tokens",
       with([](json& c) { c.erase("num_virtual_tokens"); }),
       {{"prompt_embeddings", emb}},
       "'num_virtual_tokens' is missing"},
      {"str_dim",
       with([](json& c) { c["token_dim"] = "16"; }),
       {{"prompt_embeddings", emb}},
       "'token_dim' must be a positive integer"},
      {"seq2seq",
       with([](json& c) { c["num_transformer_submodules"] = 2; }),
       {{"prompt_embeddings", emb}},
       "'num_transformer_submodules' is 2"},
      {"shape",
       kPeftPromptConfig,
       {{"prompt_embeddings", torch::randn({8, 12})}},
       "has shape [8, 12] but the config (PROMPT_TUNING, num_virtual_tokens 8, token_dim 16) needs [8, 16]"},
      {"prefix_shape", kPeftPrefixConfig, {{"prompt_embeddings", torch::randn({5, 16})}}, "needs [5, 96]"},
      {"prefix_no_layers",
       [] {
         json c = json::parse(kPeftPrefixConfig);
         c.erase("num_layers");
         return c.dump();
       }(),
       {{"prompt_embeddings", torch::randn({5, 96})}},
       "'num_layers' is missing"},
      {"missing_key", kPeftPromptConfig, {{"embeddings", emb}}, "unexpected tensor 'embeddings'"},
      {"extra_key", kPeftPromptConfig, {{"prompt_embeddings", emb}, {"zzz", emb}}, "unexpected tensor 'zzz'"},
      {"int",
       kPeftPromptConfig,
       {{"prompt_embeddings", torch::ones({8, 16}, torch::kLong)}},
       "must be a float tensor"},
      {"json", "{\"peft_type\": ", {{"prompt_embeddings", emb}}, "not valid JSON"},
  };
  for (const auto& [name, config, tensors, expected] : cases) {
    const auto src = write_adapter(dir, name, config, tensors);
    const auto msg = input_error([&] { load_peft(src); });
    EXPECT_NE(msg.find(expected), std::string::npos) << name << ": " << msg;
    EXPECT_NE(msg.find(name), std::string::npos) << name << " not named: " << msg;
    EXPECT_FALSE(fs::exists(dir / (name + "_artifact.json")));
    EXPECT_THROW(import_peft(src, dir / (name + "_artifact")), InputError);
    EXPECT_FALSE(fs::exists(dir / (name + "_artifact.json"))) << name;
  }
  EXPECT_THROW(load_peft(dir / "nowhere"), IoError);
  fs::create_directories(dir / "bin");
  std::ofstream(dir / "bin/adapter_config.json") << kPeftPromptConfig;
  std::ofstream(dir / "bin/adapter_model.bin") << "pickle";
  EXPECT_NE(input_error([&] { load_peft(dir / "bin"); }).find("safe_serialization=True"), std::string::npos);
  fs::remove(dir / "bin/adapter_model.bin");
  EXPECT_THROW(load_peft(dir / "bin"), IoError);
}

TEST(Peft, ExportRefusesWhatPeftCannotHold) {
  Manifest m;
  m.method = "vpt_deep";
  const auto p = torch::randn({2, 16});
  m.slots = {"text", "text.layer.1"};
  EXPECT_NE(input_error([&] {
              artifact_to_peft(m, {{"text.prompt_embeddings", p}}, "x");
            }).find("layer slots"),
            std::string::npos);
  m.slots = {"text"};
  EXPECT_NE(input_error([&] {
              artifact_to_peft(m, {{"text.prompt_embeddings", torch::randn({3, 2, 16})}}, "x");
            }).find("bank of 3 prompts"),
            std::string::npos);
  EXPECT_NE(input_error([&] {
              artifact_to_peft(m, {{"vision.prompt_embeddings", p}}, "x");
            }).find("'text.prompt_embeddings' is missing"),
            std::string::npos);
  const io::TensorMap with_extra = {{"text.prompt_embeddings", p}, {"text.mlp.weight", p}};
  EXPECT_NE(
      input_error([&] { artifact_to_peft(m, with_extra, "x"); }).find("cannot carry tensors text.mlp.weight"),
      std::string::npos);
  PeftExportOptions drop;
  drop.drop_other_tensors = true;
  EXPECT_TRUE(torch::equal(artifact_to_peft(m, with_extra, "x", drop).prompt_embeddings, p));
  m.slots = {"text.kv.0", "text.kv.2"};
  const io::TensorMap kv = {{"text_kv_0.key.prompt_embeddings", p},
                            {"text_kv_0.value.prompt_embeddings", p},
                            {"text_kv_2.key.prompt_embeddings", p},
                            {"text_kv_2.value.prompt_embeddings", p}};
  EXPECT_NE(input_error([&] { artifact_to_peft(m, kv, "x"); }).find("every layer"), std::string::npos);
  m.slots = {"text", "text.kv.0"};
  EXPECT_NE(input_error([&] { artifact_to_peft(m, kv, "x"); }).find("input and key/value"),
            std::string::npos);
}

TEST(Peft, SavePeftChecksTheShape) {
  testing::TempDir dir;
  PeftAdapter a;
  a.config.num_virtual_tokens = 4;
  a.config.token_dim = 8;
  a.prompt_embeddings = torch::randn({4, 9});
  EXPECT_THROW(save_peft(dir / "x", a), InputError);
  EXPECT_FALSE(fs::exists(dir / "x/adapter_config.json"));
}

}  // namespace
}  // namespace softprompt::core
