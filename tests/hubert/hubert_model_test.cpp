// HuBERT slots, prompt injection, the stable-layer-norm variant, configs and strict loading errors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "core/placement.h"
#include "models/hubert/config.h"
#include "models/hubert/loader.h"
#include "models/hubert/model.h"
#include "models/weights/strict_loader.h"

namespace fs = std::filesystem;
namespace hb = softprompt::models::hubert;
namespace io = softprompt::core::io;
namespace core = softprompt::core;

namespace {

const std::string kDir = std::string(SOFTPROMPT_TEST_FIXTURES) + "/hubert";

hb::Model tiny() { return hb::load_pretrained(kDir + "/hf"); }

at::Tensor waveform() { return io::load_safetensors(kDir + "/io.safetensors").at("input_values"); }

// Records every slot the backbone calls, and optionally inserts prefix prompts at "audio" and key/values.
class TestInjector : public core::PromptInjector {
 public:
  std::vector<std::string> calls;
  at::Tensor audio_prompts;  // [B,P,D]
  at::Tensor audio_mask;     // [B,P]
  std::optional<core::KV> kv;
  core::SlotInput at_slot(const std::string& slot, core::SlotInput x) override {
    calls.push_back(slot);
    if (slot == "audio" && audio_prompts.defined())
      return core::insert_prompts(x, audio_prompts, audio_mask, core::InsertAt{}).x;
    return x;
  }
  std::optional<core::KV> kv_at(const std::string& slot, int64_t) override {
    calls.push_back(slot);
    return slot == "audio.kv.1" ? kv : std::nullopt;
  }
};

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(HubertModel, SlotsAreCalledInOrder) {
  hb::Model model = tiny();
  EXPECT_EQ(model->slots(), (std::vector<std::string>{"audio", "audio.layer.0", "audio.layer.1", "audio.kv.0",
                                                      "audio.kv.1"}));
  TestInjector inj;
  torch::NoGradGuard no_grad;
  model->forward(waveform(), {}, {}, &inj);
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"audio", "audio.layer.0", "audio.kv.0", "audio.layer.1",
                                                 "audio.kv.1"}));
}

TEST(HubertModel, MaskedPromptsChangeNothingAndRealPromptsDo) {
  hb::Model model = tiny();
  torch::NoGradGuard no_grad;
  const at::Tensor x = waveform();
  const at::Tensor plain = model->forward(x).last_hidden_state;
  // Prefix prompts at "audio" with mask 0 are zeroed before the pos-conv (like its own zero padding) and
  // masked as keys, so the real frames come out unchanged.
  TestInjector masked;
  masked.audio_prompts = at::randn({2, 5, 32});
  masked.audio_mask = at::zeros({2, 5}, at::kLong);
  const hb::Output m = model->forward(x, {}, {}, &masked);
  ASSERT_EQ(m.last_hidden_state.sizes(), (at::IntArrayRef{2, 204, 32}));
  EXPECT_LT(max_diff(m.last_hidden_state.slice(1, 5), plain), 1e-5);
  EXPECT_EQ(m.mask.slice(1, 0, 5).sum().item<int64_t>(), 0);
  // Real prompts (mask 1) change every frame's output.
  TestInjector real = masked;
  real.audio_mask = at::ones({2, 5}, at::kLong);
  EXPECT_GT(max_diff(model->forward(x, {}, {}, &real).last_hidden_state.slice(1, 5), plain), 1e-3);
  // Key/value prefix in layer 1: masked -> identical, unmasked -> different.
  TestInjector kv;
  kv.kv = core::KV{at::randn({2, 3, 32}), at::randn({2, 3, 32}), at::zeros({2, 3}, at::kLong)};
  EXPECT_LT(max_diff(model->forward(x, {}, {}, &kv).last_hidden_state, plain), 1e-6);
  kv.kv->mask = at::ones({2, 3}, at::kLong);
  const at::Tensor with_kv = model->forward(x, {}, {}, &kv).last_hidden_state;
  EXPECT_EQ(with_kv.sizes(), plain.sizes());
  EXPECT_GT(max_diff(with_kv, plain), 1e-3);
}

TEST(HubertModel, PromptGradientsFlowThroughTheFrozenBackbone) {
  hb::Model model = tiny();
  TestInjector inj;
  inj.audio_prompts = at::randn({2, 4, 32}).requires_grad_(true);
  inj.audio_mask = at::ones({2, 4}, at::kLong);
  model->forward(waveform(), {}, {}, &inj).last_hidden_state.pow(2).mean().backward();
  ASSERT_TRUE(inj.audio_prompts.grad().defined());
  EXPECT_GT(inj.audio_prompts.grad().abs().sum().item<double>(), 0.0);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(HubertModel, StableLayerNormVariant) {
  hb::Config c;  // a tiny hubert-large: LayerNorm convs with bias, pre-LN layers, final LayerNorm
  c.hidden_size = 16;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 32;
  c.conv_dim = {16, 16};
  c.conv_stride = {5, 2};
  c.conv_kernel = {10, 3};
  c.conv_bias = true;
  c.feat_extract_norm = "layer";
  c.num_conv_pos_embeddings = 7;  // odd: no frame is dropped
  c.num_conv_pos_embedding_groups = 2;
  c.do_stable_layer_norm = true;
  hb::Model model(c);
  auto sd = softprompt::models::weights::state_dict(*model);
  EXPECT_TRUE(sd.count("feature_extractor.conv_layers.1.layer_norm.weight"));
  EXPECT_TRUE(sd.count("feature_extractor.conv_layers.1.conv.bias"));
  torch::manual_seed(0);
  for (auto& p : model->parameters()) {
    torch::NoGradGuard g;
    p.copy_(at::randn_like(p) * 0.3);
  }
  {
    torch::NoGradGuard g;  // unit final LayerNorm so its effect is recognisable
    model->encoder->layer_norm->weight.fill_(1.0);
    model->encoder->layer_norm->bias.fill_(0.0);
  }
  softprompt::models::ForwardOptions opts;
  opts.output_hidden_states = true;
  torch::NoGradGuard no_grad;
  const at::Tensor x = at::randn({1, 800});
  const hb::Output out = model->forward(x, {}, opts);
  ASSERT_EQ(out.hidden_states.size(), 3u);
  EXPECT_LT(out.hidden_states[2].mean(-1).abs().max().item<double>(),
            1e-5);  // final LN applied after the layers
  EXPECT_GT(out.hidden_states[0].mean(-1).abs().max().item<double>(), 1e-2);  // and not before them
  EXPECT_GT(out.hidden_states[1].mean(-1).abs().max().item<double>(), 1e-2);
  for (int layer = 0; layer <= 2; ++layer)
    EXPECT_EQ(max_diff(model->layer_features(x, {}, layer).embeds, out.hidden_states[layer]), 0.0) << layer;
  // Its own state dict loads back strictly (HF names), and the output is reproduced.
  hb::Model again(c);
  hb::load_weights(*again, sd, "<memory>");
  EXPECT_EQ(max_diff(again->forward(at::ones({1, 800}) * 0.1).last_hidden_state,
                     model->forward(at::ones({1, 800}) * 0.1).last_hidden_state),
            0.0);
}

TEST(HubertConfig, PresetsAndValidation) {
  EXPECT_EQ(hb::preset("base").hidden_size, 768);
  EXPECT_TRUE(hb::preset("hubert-large").do_stable_layer_norm);
  EXPECT_EQ(hb::preset("xlarge").num_hidden_layers, 48);
  EXPECT_THROW(hb::preset("huge"), softprompt::InputError);
  nlohmann::json j = {{"model_type", "hubert"}, {"hidden_size", 30}, {"num_attention_heads", 4}};
  EXPECT_THROW(hb::from_hf_json(j), softprompt::InputError);  // 30 % 4
  EXPECT_THROW(hb::from_hf_json({{"model_type", "gpt2"}}), softprompt::InputError);
  EXPECT_THROW(hb::from_hf_json({{"model_type", "hubert"}, {"conv_dim", "512"}}), softprompt::InputError);
  EXPECT_THROW(hb::from_hf_json({{"model_type", "hubert"}, {"conv_stride", {5, 2}}}), softprompt::InputError);
  EXPECT_THROW(hb::from_hf_json({{"model_type", "hubert"}, {"feat_extract_norm", "batch"}}),
               softprompt::InputError);
  EXPECT_THROW(hb::from_hf_json({{"model_type", "hubert"}, {"conv_pos_batch_norm", true}}),
               softprompt::InputError);
  EXPECT_EQ(hb::from_hf_json({{"model_type", "hubert"}}).name, "hubert-base");
}

TEST(HubertLoader, KeyTables) {
  EXPECT_EQ(*hb::map_hf_key("hubert.encoder.layers.0.attention.q_proj.weight"),
            "encoder.layers.0.attention.q_proj.weight");
  EXPECT_FALSE(hb::map_hf_key("lm_head.weight"));
  EXPECT_FALSE(hb::map_hf_key("masked_spec_embed"));
  EXPECT_EQ(*hb::map_hf_key("encoder.pos_conv_embed.conv.parametrizations.weight.original1"),
            "encoder.pos_conv_embed.conv.weight_v");
  EXPECT_EQ(*hb::map_torchaudio_key("encoder.feature_projection.projection.bias"),
            "feature_projection.projection.bias");
  EXPECT_EQ(*hb::map_torchaudio_key("encoder.transformer.pos_conv_embed.conv.weight_g"),
            "encoder.pos_conv_embed.conv.weight_g");
}

TEST(HubertLoader, StrictErrorsNameTheKey) {
  hb::Model model = tiny();
  io::TensorMap good = io::load_safetensors(kDir + "/hf/model.safetensors");
  auto expect_error = [&](io::TensorMap t, const std::string& key) {
    hb::Model m = tiny();
    try {
      hb::load_weights(*m, t, "test.safetensors");
      FAIL() << "no error for " << key;
    } catch (const softprompt::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  io::TensorMap missing = good;
  missing.erase("encoder.layers.1.final_layer_norm.bias");
  expect_error(missing, "encoder.layers.1.final_layer_norm.bias");
  io::TensorMap shaped = good;
  shaped["encoder.pos_conv_embed.conv.weight_v"] = at::zeros({32, 4, 16});
  expect_error(shaped, "encoder.pos_conv_embed.conv.weight_v");
  io::TensorMap extra = good;
  extra["encoder.layers.2.layer_norm.weight"] = at::zeros({32});
  expect_error(extra, "encoder.layers.2.layer_norm.weight");
  EXPECT_THROW(hb::load_pretrained(kDir), softprompt::IoError);  // no config.json there
}

TEST(HubertModel, BadInputs) {
  hb::Model model = tiny();
  torch::NoGradGuard no_grad;
  EXPECT_THROW(model->forward(at::randn({2, 20})), softprompt::InputError);  // 20 -> 3 -> 1 -> 0 frames
  EXPECT_THROW(model->forward(at::ones({2, 4000}, at::kLong)), softprompt::InputError);  // not a waveform
  EXPECT_THROW(model->forward(at::randn({4000})), softprompt::InputError);               // no batch dim
  EXPECT_THROW(model->forward(at::randn({2, 4000}), at::ones({2, 3999}, at::kLong)), softprompt::InputError);
  EXPECT_THROW(model->embed(at::ones({1, 5}, at::kLong)), softprompt::InputError);
  softprompt::models::ForwardOptions opts;
  opts.position_ids = at::zeros({2, 199}, at::kLong);
  EXPECT_THROW(model->forward(waveform(), {}, opts), softprompt::InputError);
}
