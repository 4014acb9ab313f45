#pragma once
// Frozen-CLIP helpers shared by the vision recipes: CLIP preprocessing of whole image sets, batched
// L2-normalised image features, tokenised captions, and zero-shot class embeddings with template ensembling
// (Radford et al. 2021, section 3.1.4: the mean of the normalised embeddings of every template,
// renormalised).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "modalities/text/clip_tokenizer.h"
#include "models/clip/model.h"

namespace softprompt::recipes::clip {

// images [N,H,W,3] uint8 RGB -> [N,3,size,size] float32: the CLIP pipeline (resize, centre crop, normalise).
at::Tensor preprocess_all(const at::Tensor& images, int64_t size);

// texts -> [B,T] int64 ids: SOT ... EOT, zero padded to the longest row; a text longer than `context` is cut
// (EOT kept last), as clip.tokenize(truncate=True).
at::Tensor tokenize(const modalities::text::ClipTokenizer& tok, const std::vector<std::string>& texts,
                    int64_t context);

// pixels [N,3,S,S] -> [N,E] L2-normalised image features, in batches, without gradients.
at::Tensor image_embeddings(models::clip::ClipModelImpl& model, const at::Tensor& pixels,
                            int64_t batch = 256);

// Every template (with "{}" for the class name) filled with every class -> [C,E] L2-normalised class
// embeddings, each the renormalised mean over the templates. Throws InputError for a template without "{}".
at::Tensor class_embeddings(models::clip::ClipModelImpl& model, const modalities::text::ClipTokenizer& tok,
                            const std::vector<std::string>& classes,
                            const std::vector<std::string>& templates, int64_t context);

// "a photo of a {}." with "{}" -> name (the first occurrence).
std::string fill(const std::string& templ, const std::string& name);

}  // namespace softprompt::recipes::clip
