// Parity of the GPT-2 port against HF transformers 4.36.2 (fixtures gpt2_right_pad, gpt2_left_pad,
// gpt2_soft_prompt; atol 1e-4) and the loader's contract: prefixes, ignored buffers, strict errors, dtypes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/methods/prompt_bank.h"
#include "core/prompt_set.h"
#include "gpt2_test_util.h"
#include "models/gpt2/config.h"
#include "models/gpt2/loader.h"
#include "models/gpt2/saver.h"
#include "models/weights/hf_checkpoint.h"

using namespace softprompt;
using namespace softprompt::models;
using namespace gpt2_test;
using softprompt::core::io::TensorMap;

namespace {

constexpr double kTol = 1e-4;

gpt2::Model fixture_model() {
  static gpt2::Model model = gpt2::load_pretrained(model_dir());
  return model;
}

void report(const std::string& what, double err) {
  std::cout << "[parity] " << what << " max abs err " << err << "\n";
  EXPECT_LT(err, kTol) << what;
}

// Copies the fixture's config.json and writes `tensors` as model.safetensors into `dir`.
void write_model_dir(const TempDir& dir, const TensorMap& tensors) {
  std::filesystem::copy_file(model_dir() + "/config.json", dir.path("config.json"));
  core::io::save_safetensors(dir.path("model.safetensors"), tensors);
}

TensorMap fixture_weights() { return core::io::load_safetensors(model_dir() + "/model.safetensors"); }

torch::Tensor logits_of(gpt2::Model model) {
  torch::NoGradGuard no_grad;
  auto f = io("io_right_pad.safetensors");
  return model->lm_logits(model->forward(f["input_ids"], f["attention_mask"]).last_hidden_state);
}

std::string load_error(const TensorMap& tensors) {
  TempDir dir;
  write_model_dir(dir, tensors);
  try {
    gpt2::load_pretrained(dir.path());
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

}  // namespace

TEST(Gpt2Parity, RightPadMaskPositions) {
  torch::NoGradGuard no_grad;
  auto f = io("io_right_pad.safetensors");
  auto model = fixture_model();
  models::ForwardOptions opts;
  opts.output_hidden_states = true;
  auto out = model->forward(f["input_ids"], f["attention_mask"], opts);
  const auto& m = f["attention_mask"];
  // Mask-derived positions equal HF's 0..T-1 on real tokens; pads (position 1 here) are not compared.
  report("right_pad logits (real tokens)",
         max_diff_where(model->lm_logits(out.last_hidden_state), f["logits"], m));
  report("right_pad last_hidden_state", max_diff_where(out.last_hidden_state, f["last_hidden_state"], m));
  ASSERT_EQ(out.hidden_states.size(), 3u);
  for (int i = 0; i < 3; ++i)
    report("right_pad hidden_states." + std::to_string(i),
           max_diff_where(out.hidden_states[i], f["hidden_states." + std::to_string(i)], m));
}

TEST(Gpt2Parity, RightPadHfPositionsEverywhere) {
  torch::NoGradGuard no_grad;
  auto f = io("io_right_pad.safetensors");
  auto model = fixture_model();
  models::ForwardOptions opts;
  opts.position_ids = torch::arange(7).unsqueeze(0);  // HF's default, pads included
  opts.output_hidden_states = true;
  auto out = model->forward(f["input_ids"], f["attention_mask"], opts);
  report("right_pad logits (all positions)", max_diff(model->lm_logits(out.last_hidden_state), f["logits"]));
  for (int i = 0; i < 3; ++i)
    report("right_pad hidden_states." + std::to_string(i) + " (all)",
           max_diff(out.hidden_states[i], f["hidden_states." + std::to_string(i)]));
}

TEST(Gpt2Parity, LeftPad) {
  torch::NoGradGuard no_grad;
  auto f = io("io_left_pad.safetensors");
  auto model = fixture_model();
  const auto& m = f["attention_mask"];
  models::ForwardOptions explicit_ids;
  explicit_ids.position_ids = f["position_ids"];
  auto out = model->forward(f["input_ids"], m, explicit_ids);
  report("left_pad logits (explicit ids)",
         max_diff_where(model->lm_logits(out.last_hidden_state), f["logits"], m));
  report("left_pad last_hidden_state", max_diff_where(out.last_hidden_state, f["last_hidden_state"], m));
  // The default (mask-derived) positions are exactly the ones the fixture passed.
  auto derived = model->forward(f["input_ids"], m);
  report("left_pad logits (mask-derived ids)",
         max_diff_where(model->lm_logits(derived.last_hidden_state), f["logits"], m));
}

TEST(Gpt2Parity, SoftPromptAtInputSlot) {
  torch::NoGradGuard no_grad;
  auto f = io("io_soft_prompt.safetensors");
  auto model = fixture_model();
  const auto& full_mask = f["attention_mask"];  // [2,11]
  auto token_embeds = model->embed(f["input_ids"]);
  EXPECT_LT(max_diff(torch::cat({f["soft_prompt"], token_embeds}, 1), f["inputs_embeds"]), 1e-7);
  PrependInjector prompt(f["soft_prompt"]);
  auto out = model->forward_slots({token_embeds, full_mask.slice(1, 4)}, prompt);
  ASSERT_EQ(out.last_hidden_state.sizes(), (std::vector<int64_t>{2, 11, 32}));
  EXPECT_TRUE(torch::equal(out.mask, full_mask));
  report("soft_prompt logits",
         max_diff_where(model->lm_logits(out.last_hidden_state), f["logits"], full_mask));
  report("soft_prompt last_hidden_state",
         max_diff_where(out.last_hidden_state, f["last_hidden_state"], full_mask));
  models::ForwardOptions hf_ids;
  hf_ids.position_ids = torch::arange(11).unsqueeze(0);
  auto all = model->forward_slots({token_embeds, full_mask.slice(1, 4)}, prompt, hf_ids);
  report("soft_prompt logits (all positions)",
         max_diff(model->lm_logits(all.last_hidden_state), f["logits"]));
}

// The same case through the core's PromptSet (prefix insertion at "text", one bank prompt per row).
TEST(Gpt2Parity, SoftPromptThroughCorePromptSet) {
  torch::NoGradGuard no_grad;
  auto f = io("io_soft_prompt.safetensors");
  auto model = fixture_model();
  const auto& full_mask = f["attention_mask"];
  auto bank = std::make_shared<core::methods::PromptBankImpl>(
      std::vector<std::string>{"row0", "row1"},
      std::vector<torch::Tensor>{f["soft_prompt"][0], f["soft_prompt"][1]});
  core::PromptSet prompts;
  prompts->add_insert_slot("text", bank, core::InsertAt{});
  prompts->begin_batch(torch::tensor({0, 1}, torch::kLong));
  auto out = model->forward_slots({model->embed(f["input_ids"]), full_mask.slice(1, 4)}, *prompts);
  EXPECT_TRUE(torch::equal(out.mask, full_mask));
  report("soft_prompt logits via PromptSet",
         max_diff_where(model->lm_logits(out.last_hidden_state), f["logits"], full_mask));
}

TEST(Gpt2Loader, ConfigAndPresets) {
  auto model = fixture_model();
  const auto& c = model->config();
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.n_positions, 32);
  EXPECT_EQ(c.n_embd, 32);
  EXPECT_EQ(c.n_layer, 2);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.inner_dim(), 128);
  EXPECT_EQ(c.eos_token_id, 999);
  EXPECT_EQ(model->slots(),
            (std::vector<std::string>{"text", "text.layer.0", "text.layer.1", "text.kv.0", "text.kv.1"}));
  EXPECT_EQ(model->backbone_id().rfind("gpt2/custom@", 0), 0u) << model->backbone_id();
  EXPECT_EQ(model->backbone_id().size(), std::string("gpt2/custom@").size() + 16);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.requires_grad());
  EXPECT_FALSE(model->is_training());
  EXPECT_EQ(gpt2::preset("gpt2").n_embd, 768);
  EXPECT_EQ(gpt2::preset("medium").n_layer, 24);
  EXPECT_EQ(gpt2::preset("gpt2-large").n_head, 20);
  auto xl = gpt2::preset("xl");
  EXPECT_EQ(xl.n_embd, 1600);
  EXPECT_EQ(xl.n_layer, 48);
  EXPECT_EQ(xl.head_dim(), 64);
  EXPECT_THROW(gpt2::preset("gpt3"), InputError);
  auto json = weights::read_hf_config(model_dir());
  json["n_head"] = 5;
  EXPECT_THROW(gpt2::from_hf_json(json), InputError);
  json["n_head"] = "four";
  EXPECT_THROW(gpt2::from_hf_json(json), InputError);
  json["n_head"] = 4;
  json["model_type"] = "bert";
  EXPECT_THROW(gpt2::from_hf_json(json), InputError);
}

TEST(Gpt2Loader, WithoutPrefixWithBuffersAndStoredHead) {
  const auto reference = logits_of(fixture_model());
  TensorMap bare;
  for (const auto& [k, v] : fixture_weights()) bare[k.substr(std::string("transformer.").size())] = v;
  for (int i = 0; i < 2; ++i) {  // the causal-mask buffers of older GPT2Model checkpoints
    bare["h." + std::to_string(i) + ".attn.bias"] = torch::ones({1, 1, 32, 32}).tril();
    bare["h." + std::to_string(i) + ".attn.masked_bias"] = torch::tensor(-1e4f);
  }
  TempDir dir;
  write_model_dir(dir, bare);
  EXPECT_TRUE(torch::equal(logits_of(gpt2::load_pretrained(dir.path())), reference));
  // GPT2LMHeadModel layout with a stored (tied) lm_head.weight: ignored, as HF does.
  TensorMap with_head = fixture_weights();
  with_head["lm_head.weight"] = with_head["transformer.wte.weight"];
  TempDir dir2;
  write_model_dir(dir2, with_head);
  EXPECT_TRUE(torch::equal(logits_of(gpt2::load_pretrained(dir2.path())), reference));
}

TEST(Gpt2Loader, StrictErrorsNameTheKey) {
  TensorMap missing = fixture_weights();
  missing.erase("transformer.h.1.mlp.c_fc.bias");
  std::string e = load_error(missing);
  EXPECT_NE(e.find("missing key 'h.1.mlp.c_fc.bias'"), std::string::npos) << e;
  EXPECT_NE(e.find("[128]"), std::string::npos) << e;

  TensorMap unexpected = fixture_weights();
  unexpected["transformer.h.0.attn.q_proj.weight"] = torch::zeros({32, 32});
  e = load_error(unexpected);
  EXPECT_NE(e.find("unexpected key 'h.0.attn.q_proj.weight'"), std::string::npos) << e;

  TensorMap shape = fixture_weights();
  shape["transformer.wpe.weight"] = torch::zeros({31, 32});
  e = load_error(shape);
  EXPECT_NE(e.find("'wpe.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("[31,32]"), std::string::npos) << e;
  EXPECT_NE(e.find("[32,32]"), std::string::npos) << e;

  TensorMap both = fixture_weights();  // the same weight under both layouts
  both["wte.weight"] = both["transformer.wte.weight"];
  e = load_error(both);
  EXPECT_NE(e.find("wte.weight"), std::string::npos) << e;
}

TEST(Gpt2Loader, BadDirectories) {
  TempDir empty;
  EXPECT_THROW(gpt2::load_pretrained(empty.path()), IoError);  // no config.json
  TempDir no_weights;
  std::filesystem::copy_file(model_dir() + "/config.json", no_weights.path("config.json"));
  EXPECT_THROW(gpt2::load_pretrained(no_weights.path()), IoError);
  std::ofstream(no_weights.path("pytorch_model.bin")) << "pickle";
  try {
    gpt2::load_pretrained(no_weights.path());
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("pytorch_model.bin"), std::string::npos);
  }
  TempDir bad_json;
  std::ofstream(bad_json.path("config.json")) << "{not json";
  EXPECT_THROW(gpt2::load_pretrained(bad_json.path()), InputError);
  TempDir truncated;
  std::filesystem::copy_file(model_dir() + "/config.json", truncated.path("config.json"));
  std::string bytes = core::io::read_file(model_dir() + "/model.safetensors");
  std::ofstream(truncated.path("model.safetensors"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  EXPECT_THROW(gpt2::load_pretrained(truncated.path()), InputError);
}

TEST(Gpt2Loader, ShardedIndex) {
  const auto reference = logits_of(fixture_model());
  TensorMap a, b;
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  for (const auto& [k, v] : fixture_weights()) {
    const bool first = k.find(".h.1.") == std::string::npos;
    (first ? a : b)[k] = v;
    index["weight_map"][k] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  TempDir dir;
  std::filesystem::copy_file(model_dir() + "/config.json", dir.path("config.json"));
  core::io::save_safetensors(dir.path("model-00001-of-00002.safetensors"), a);
  core::io::save_safetensors(dir.path("model-00002-of-00002.safetensors"), b);
  std::ofstream(dir.path("model.safetensors.index.json")) << index.dump();
  auto model = gpt2::load_pretrained(dir.path());
  EXPECT_TRUE(torch::equal(logits_of(model), reference));
  EXPECT_EQ(model->backbone_id().size(), std::string("gpt2/custom@").size() + 16);

  auto bad = index;  // a key the shard does not hold
  bad["weight_map"]["transformer.extra"] = "model-00001-of-00002.safetensors";
  std::ofstream(dir.path("model.safetensors.index.json")) << bad.dump();
  EXPECT_THROW(gpt2::load_pretrained(dir.path()), InputError);
  bad = index;  // a shard outside the directory
  bad["weight_map"]["transformer.wte.weight"] = "../model-00001-of-00002.safetensors";
  std::ofstream(dir.path("model.safetensors.index.json")) << bad.dump();
  EXPECT_THROW(gpt2::load_pretrained(dir.path()), InputError);
  bad = index;  // a key the index forgets
  bad["weight_map"].erase("transformer.ln_f.bias");
  std::ofstream(dir.path("model.safetensors.index.json")) << bad.dump();
  EXPECT_THROW(gpt2::load_pretrained(dir.path()), InputError);
}

TEST(Gpt2Loader, ReducedPrecision) {
  torch::NoGradGuard no_grad;
  auto f = io("io_right_pad.safetensors");
  gpt2::LoadOptions opts;
  opts.dtype = torch::kBFloat16;
  auto model = gpt2::load_pretrained(model_dir(), opts);
  for (const auto& p : model->parameters()) EXPECT_EQ(p.scalar_type(), torch::kBFloat16);
  auto logits = model->lm_logits(model->forward(f["input_ids"], f["attention_mask"]).last_hidden_state);
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  // bfloat16 keeps ~3 significant digits; the logits' scale is ~10.
  const double err = max_diff_where(logits, f["logits"], f["attention_mask"]);
  std::cout << "[parity] right_pad logits in bfloat16: max abs err " << err << "\n";
  EXPECT_LT(err, 0.25);
  // LibTorch 1.13 has no CPU float16 kernels (LayerNorm, addmm): float16 is for CUDA, refused clearly on CPU.
  opts.dtype = torch::kHalf;
  try {
    gpt2::load_pretrained(model_dir(), opts);
    ADD_FAILURE() << "float16 on CPU should be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bfloat16"), std::string::npos) << e.what();
  }
  opts.dtype = torch::kInt;
  EXPECT_THROW(gpt2::load_pretrained(model_dir(), opts), InputError);
}

TEST(Gpt2Loader, SavePretrainedRoundTrip) {
  auto model = fixture_model();
  TempDir dir;
  gpt2::save_pretrained(*model, dir.path("saved"));
  auto again = gpt2::load_pretrained(dir.path("saved"));
  EXPECT_TRUE(torch::equal(logits_of(again), logits_of(model)));
  auto keys = core::io::load_safetensors(dir.path("saved/model.safetensors"));
  EXPECT_TRUE(keys.count("transformer.h.1.attn.c_attn.weight"));
  EXPECT_FALSE(keys.count("lm_head.weight"));  // tied, as HF's save_pretrained leaves it out
}
