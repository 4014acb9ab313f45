// HuBERT parity with transformers 4.36 HubertModel (fixture hubert_tiny), in both weight layouts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "models/hubert/loader.h"
#include "models/hubert/model.h"
#include "models/weights/hf_checkpoint.h"

namespace hb = softprompt::models::hubert;
namespace io = softprompt::core::io;

namespace {

const std::string kDir = std::string(SOFTPROMPT_TEST_FIXTURES) + "/hubert";

const io::TensorMap& fixture() {
  static const io::TensorMap map = io::load_safetensors(kDir + "/io.safetensors");
  return map;
}

// Largest |a - b| and whether every element is within atol + rtol * |b| (the fixture's 1e-4 / 1e-4).
double check_close(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  EXPECT_EQ(a.sizes(), b.sizes()) << what;
  const at::Tensor diff = (a.to(at::kDouble) - b.to(at::kDouble)).abs();
  const double err = diff.max().item<double>();
  EXPECT_TRUE((diff <= 1e-4 + 1e-4 * b.to(at::kDouble).abs()).all().item<bool>())
      << what << " max abs " << err;
  std::cout << "[parity] " << what << " max abs error " << err << "\n";
  return err;
}

void check_all_outputs(hb::Model& model, const std::string& layout) {
  softprompt::models::ForwardOptions opts;
  opts.output_hidden_states = true;
  torch::NoGradGuard no_grad;
  const hb::Output out = model->forward(fixture().at("input_values"), {}, opts);
  check_close(out.extract_features, fixture().at("extract_features"), layout + " extract_features");
  check_close(out.last_hidden_state, fixture().at("last_hidden_state"), layout + " last_hidden_state");
  ASSERT_EQ(out.hidden_states.size(), 3u);
  for (int i = 0; i < 3; ++i)
    check_close(out.hidden_states[i], fixture().at("hidden_states." + std::to_string(i)),
                layout + " hidden_states." + std::to_string(i));
  EXPECT_TRUE(out.mask.eq(1).all().item<bool>());
}

}  // namespace

TEST(HubertParity, HuggingFaceLayoutEveryHiddenState) {
  hb::Model model = hb::load_pretrained(kDir + "/hf");
  EXPECT_EQ(model->num_layers(), 2);
  EXPECT_EQ(model->hidden_size(), 32);
  EXPECT_EQ(model->num_frames(4000), 199);
  EXPECT_EQ(model->backbone_id().rfind("hubert/custom@", 0), 0u) << model->backbone_id();
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.requires_grad());
  check_all_outputs(model, "hf");
}

TEST(HubertParity, TorchaudioLayoutEveryHiddenState) {
  const hb::Config config = hb::from_hf_json(softprompt::models::weights::read_hf_config(kDir + "/hf"));
  const io::TensorMap tensors = io::load_safetensors(kDir + "/torchaudio/model.safetensors");
  EXPECT_EQ(hb::detect_layout(tensors), hb::Layout::kTorchaudio);
  hb::Model model = hb::load_file(kDir + "/torchaudio/model.safetensors", config);
  check_all_outputs(model, "torchaudio");
}

TEST(HubertParity, MaskedBatchOnValidFrames) {
  hb::Model model = hb::load_pretrained(kDir + "/hf");
  const at::Tensor lengths = fixture().at("masked.input_lengths");
  const at::Tensor attention_mask = (at::arange(4000).unsqueeze(0) < lengths.unsqueeze(1)).to(at::kLong);
  torch::NoGradGuard no_grad;
  const hb::Output out = model->forward(fixture().at("masked.input_values"), attention_mask);
  const at::Tensor frame_mask = fixture().at("masked.frame_mask");
  EXPECT_TRUE(out.mask.equal(frame_mask));
  EXPECT_EQ(frame_mask[1].sum().item<int64_t>(), 149);
  const at::Tensor valid = frame_mask.to(at::kBool);
  check_close(out.last_hidden_state.index({valid}), fixture().at("masked.last_hidden_state").index({valid}),
              "masked last_hidden_state (valid frames)");
  // Without the mask row 1's valid frames differ: the mask is doing real work.
  const hb::Output unmasked = model->forward(fixture().at("masked.input_values"));
  EXPECT_GT((unmasked.last_hidden_state[1].slice(0, 0, 149) - out.last_hidden_state[1].slice(0, 0, 149))
                .abs()
                .max()
                .item<double>(),
            1e-3);
}

TEST(HubertParity, LayerFeaturesRunOnlyTheLayersAsked) {
  hb::Model model = hb::load_pretrained(kDir + "/hf");
  torch::NoGradGuard no_grad;
  for (int layer = 0; layer <= 2; ++layer) {
    const auto f = model->layer_features(fixture().at("input_values"), {}, layer);
    check_close(f.embeds, fixture().at("hidden_states." + std::to_string(layer)),
                "layer_features(" + std::to_string(layer) + ")");
  }
  EXPECT_THROW(model->layer_features(fixture().at("input_values"), {}, 3), softprompt::InputError);
}

TEST(HubertParity, Float64Weights) {
  hb::LoadOptions options;
  options.dtype = at::kDouble;
  hb::Model model = hb::load_pretrained(kDir + "/hf", options);
  torch::NoGradGuard no_grad;
  const hb::Output out = model->forward(fixture().at("input_values"));
  EXPECT_EQ(out.last_hidden_state.scalar_type(), at::kDouble);
  check_close(out.last_hidden_state, fixture().at("last_hidden_state"), "float64 last_hidden_state");
  hb::LoadOptions bad;
  bad.dtype = at::kLong;
  EXPECT_THROW(hb::load_pretrained(kDir + "/hf", bad), softprompt::InputError);
}
