#include "recipes/common/clip_pretraining.h"

#include <torch/torch.h>

#include <cmath>

#include "core/slots.h"
#include "recipes/common/clip_features.h"

namespace softprompt::recipes::clip {
namespace {

using images::kClass;
using images::kColour;
using images::kCount;
using images::kPosition;
using images::kSource;

// Seeded draws with exact integer arithmetic (std distributions differ between standard libraries).
int64_t pick(std::mt19937_64& rng, size_t n) { return static_cast<int64_t>(rng() % n); }
bool chance(std::mt19937_64& rng, int percent) { return static_cast<int>(rng() % 100) < percent; }

const std::vector<std::string> kClothing = {"a photo of a {}.",
                                            "a photo of the {}.",
                                            "a black and white photo of a {}.",
                                            "a low resolution photo of a {}.",
                                            "a picture of a {}, a piece of clothing.",
                                            "a {}.",
                                            "a grayscale image of a {}.",
                                            "a product photo of a {}."};
const std::vector<std::string> kDigits = {"a drawing of the digit {}.", "a handwritten {}.",
                                          "the number {}, written by hand.", "a photo of the digit {}.",
                                          "an image of a handwritten {}."};
const std::vector<std::string> kScenes = {"a photo of {}.", "a drawing of {}.", "an image of {}.",
                                          "a picture with {}.", "{}."};

// "a red circle on the left", "two blue squares", "a shape at the top", ...; leaves attributes out at random.
Caption shapes_caption(const int64_t* a, std::mt19937_64& rng) {
  Caption c{{}, {a[kSource], -1, -1, -1, -1}};
  const bool shape = chance(rng, 85), colour = chance(rng, 60), count = chance(rng, 50);
  const bool position = a[kPosition] >= 0 && chance(rng, 60);
  const bool plural = a[kCount] > 1;
  static const std::vector<std::string> numbers = {"", "one", "two", "three"};
  static const std::vector<std::string> where = {"on the left", "on the right", "at the top", "at the bottom",
                                                 "in the center"};
  std::string text;
  if (count) {
    text = a[kCount] == 1 && chance(rng, 50) ? "a" : numbers.at(static_cast<size_t>(a[kCount]));
    c.attributes[kCount] = a[kCount];
  } else if (!plural) {
    text = "a";
  }
  if (colour) {
    text += (text.empty() ? "" : " ") + images::colour_names().at(static_cast<size_t>(a[kColour]));
    c.attributes[kColour] = a[kColour];
  }
  std::string noun = shape ? images::shape_names().at(static_cast<size_t>(a[kClass])) : "shape";
  if (plural) noun += noun.back() == 's' ? "es" : "s";
  if (shape) c.attributes[kClass] = a[kClass];
  text += (text.empty() ? "" : " ") + noun;
  if (position) {
    text += " " + where.at(static_cast<size_t>(a[kPosition]));
    c.attributes[kPosition] = a[kPosition];
  }
  c.text = fill(kScenes[pick(rng, kScenes.size())], text);
  return c;
}

}  // namespace

const std::vector<std::string>& class_names(int64_t source) {
  switch (source) {
    case 0:
      return images::fashion_mnist_classes();
    case 1:
      return images::digit_words();
    default:
      return images::shape_names();
  }
}

Caption caption_for(const int64_t* a, std::mt19937_64& rng) {
  if (a[kSource] == images::source_id("shapes")) return shapes_caption(a, rng);
  Caption c{{}, {a[kSource], a[kClass], -1, -1, -1}};
  std::string name = class_names(a[kSource]).at(static_cast<size_t>(a[kClass]));
  if (a[kSource] == images::source_id("mnist")) {
    if (chance(rng, 50)) name = std::to_string(a[kClass]);  // "7" as well as "seven"
    c.text = fill(kDigits[pick(rng, kDigits.size())], name);
  } else {
    c.text = fill(kClothing[pick(rng, kClothing.size())], name);
  }
  return c;
}

at::Tensor caption_matches(const at::Tensor& image_attributes, const at::Tensor& caption_attributes) {
  auto img = image_attributes.unsqueeze(1);    // [Bi,1,A]
  auto cap = caption_attributes.unsqueeze(0);  // [1,Bt,A]
  return ((cap == -1) | (cap == img)).all(2).to(torch::kFloat);
}

at::Tensor contrastive_loss(const at::Tensor& logits, const at::Tensor& matches) {
  auto i2t = matches / matches.sum(1, true);
  auto t2i = matches.t() / matches.t().sum(1, true);
  auto li = -(i2t * torch::log_softmax(logits, 1)).sum(1).mean();
  auto lt = -(t2i * torch::log_softmax(logits.t(), 1)).sum(1).mean();
  return (li + lt) / 2;
}

void init_clip_weights(models::clip::ClipModelImpl& model) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    const std::string& name = item.key();
    auto& p = item.value();
    const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    if (name == "logit_scale") continue;
    if (name.find("norm") != std::string::npos) {
      bias ? p.zero_() : p.fill_(1.0);
    } else if (bias) {
      p.zero_();
    } else if (name.find("projection") != std::string::npos) {
      p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(p.size(1))));
    } else {
      p.normal_(0.0, 0.02);
    }
  }
}

ClipPretrainTask::ClipPretrainTask(models::clip::ClipModel model, const modalities::text::ClipTokenizer& tok,
                                   at::Tensor pixels, at::Tensor attributes, std::vector<ZeroShotSet> dev,
                                   uint64_t seed)
    : model_(std::move(model)),
      tok_(tok),
      pixels_(std::move(pixels)),
      attributes_(std::move(attributes)),
      dev_(std::move(dev)),
      rng_(seed) {}

core::trainer::StepOutput ClipPretrainTask::train_step(const std::vector<int64_t>& indices) {
  {
    torch::NoGradGuard no_grad;  // Radford et al.: the temperature is clipped at 100
    model_->logit_scale.clamp_(0.0, std::log(100.0));
  }
  const auto idx = torch::tensor(indices, torch::kLong);
  const auto attrs = attributes_.index_select(0, idx);
  std::vector<std::string> texts;
  auto cap_attrs = torch::empty_like(attrs);
  for (int64_t i = 0; i < attrs.size(0); ++i) {
    auto c = caption_for(attrs[i].data_ptr<int64_t>(), rng_);
    texts.push_back(std::move(c.text));
    cap_attrs[i].copy_(torch::tensor(std::vector<int64_t>(c.attributes.begin(), c.attributes.end())));
  }
  core::NoPrompts none;
  const auto ids = tokenize(tok_, texts, model_->config().text.max_positions);
  auto out = model_->forward(pixels_.index_select(0, idx), ids, none);  // logits_per_image [B,B]
  return {contrastive_loss(out.logits_per_image, caption_matches(attrs, cap_attrs))};
}

core::trainer::EvalResult ClipPretrainTask::evaluate(const std::string&) {
  core::trainer::EvalResult r;
  double sum = 0;
  for (const auto& d : dev_) {
    auto classes = class_embeddings(*model_, tok_, d.classes, {d.templ}, model_->config().text.max_positions);
    auto pred = image_embeddings(*model_, d.pixels).matmul(classes.t()).argmax(1);
    const double acc = pred.eq(d.labels).to(torch::kDouble).mean().item<double>();
    r.metrics[d.name + "_accuracy"] = acc;
    sum += acc;
  }
  r.metrics["accuracy"] = dev_.empty() ? 0.0 : sum / static_cast<double>(dev_.size());
  return r;
}

core::io::TensorMap ClipPretrainTask::trainable_parameters() {
  core::io::TensorMap out;
  for (auto& item : model_->named_parameters())
    if (item.value().requires_grad()) out[item.key()] = item.value();
  return out;
}

}  // namespace softprompt::recipes::clip
