#include "recipes/common/clip_features.h"

#include <torch/torch.h>

#include "core/errors.h"
#include "core/slots.h"
#include "modalities/vision/clip_preprocess.h"

namespace softprompt::recipes::clip {

at::Tensor preprocess_all(const at::Tensor& images, int64_t size) {
  TORCH_CHECK(images.dim() == 4 && images.size(3) == 3, "images must be [N,H,W,3] uint8");
  modalities::vision::ClipPreprocessOptions o;
  o.size = size;
  auto out = torch::empty({images.size(0), 3, size, size}, torch::kFloat);
  for (int64_t i = 0; i < images.size(0); ++i)
    out[i].copy_(modalities::vision::clip_preprocess(images[i].contiguous(), o).pixel_values);
  return out;
}

at::Tensor tokenize(const modalities::text::ClipTokenizer& tok, const std::vector<std::string>& texts,
                    int64_t context) {
  std::vector<modalities::text::Ids> rows;
  int64_t longest = 1;
  for (const auto& t : texts) {
    auto ids = tok.tokenize(t, context, /*allow_truncation=*/true);
    while (ids.size() > 1 && ids.back() == 0) ids.pop_back();  // tokenize pads to `context` with zeros
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.size()));
    rows.push_back(std::move(ids));
  }
  auto out = torch::zeros({static_cast<int64_t>(rows.size()), longest}, torch::kLong);
  for (size_t i = 0; i < rows.size(); ++i)
    out[static_cast<int64_t>(i)]
        .slice(0, 0, static_cast<int64_t>(rows[i].size()))
        .copy_(torch::tensor(rows[i]));
  return out;
}

at::Tensor image_embeddings(models::clip::ClipModelImpl& model, const at::Tensor& pixels, int64_t batch) {
  torch::NoGradGuard no_grad;
  core::NoPrompts none;
  std::vector<at::Tensor> parts;
  for (int64_t b = 0; b < pixels.size(0); b += batch) {
    auto f = model.image_features(model.encode_image(pixels.slice(0, b, b + batch), none));
    parts.push_back(
        torch::nn::functional::normalize(f, torch::nn::functional::NormalizeFuncOptions().dim(1)));
  }
  return torch::cat(parts);
}

std::string fill(const std::string& templ, const std::string& name) {
  const auto at = templ.find("{}");
  if (at == std::string::npos) throw InputError("template '" + templ + "' has no \"{}\" for the class name");
  return templ.substr(0, at) + name + templ.substr(at + 2);
}

at::Tensor class_embeddings(models::clip::ClipModelImpl& model, const modalities::text::ClipTokenizer& tok,
                            const std::vector<std::string>& classes,
                            const std::vector<std::string>& templates, int64_t context) {
  if (templates.empty()) throw InputError("zero-shot classification needs at least one template");
  torch::NoGradGuard no_grad;
  core::NoPrompts none;
  namespace F = torch::nn::functional;
  auto sum = torch::zeros({static_cast<int64_t>(classes.size()), model.config().projection_dim});
  for (const auto& t : templates) {
    std::vector<std::string> texts;
    for (const auto& c : classes) texts.push_back(fill(t, c));
    auto f = model.text_features(model.encode_text(tokenize(tok, texts, context), none));
    sum += F::normalize(f, F::NormalizeFuncOptions().dim(1));
  }
  return F::normalize(sum, F::NormalizeFuncOptions().dim(1));
}

}  // namespace softprompt::recipes::clip
