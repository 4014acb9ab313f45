// `softprompt inspect ARTIFACT [--backbone DIR|FILE] [--tokenizer PATH] [--top K] [--embedding-key KEY]`:
// prints an artifact's manifest as a table and, given the backbone, whether its weights are the ones the
// prompt was trained on and the K vocabulary tokens nearest (cosine) to each input-slot prompt vector.
#include <torch/torch.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

#include "core/artifact.h"
#include "core/errors.h"
#include "core/nearest_tokens.h"
#include "core/peft_convert.h"
#include "core/slots.h"
#include "modalities/text/tokenizer_factory.h"
#include "models/weights/hf_checkpoint.h"
#include "models/weights/strict_loader.h"
#include "recipes/cli/command.h"

namespace {
namespace fs = std::filesystem;
using softprompt::InputError;
namespace core = softprompt::core;
namespace text = softprompt::modalities::text;
namespace weights = softprompt::models::weights;

// Input-embedding keys of the layouts the project loads: HF GPT-2 (with and without the LM head wrapper),
// HF CLIP, OpenAI CLIP, HF Llama-style models.
const std::vector<std::string> kEmbeddingKeys = {"transformer.wte.weight", "wte.weight",
                                                 "text_model.embeddings.token_embedding.weight",
                                                 "token_embedding.weight", "model.embed_tokens.weight"};

struct Options {
  std::string artifact, backbone, tokenizer, embedding_key;
  int64_t top = 5;
};

struct Embedding {
  at::Tensor matrix;  // [V,D]
  std::string key, fingerprint;
};

Embedding load_embedding(const Options& opt) {
  core::io::TensorMap tensors;
  Embedding e;
  if (fs::is_directory(opt.backbone)) {
    std::vector<std::string> files;
    tensors = weights::read_hf_weights(opt.backbone, &files);
    e.fingerprint = weights::checkpoint_fingerprint(files);
  } else {
    tensors = core::io::load_safetensors(opt.backbone);
    e.fingerprint = weights::file_fingerprint(opt.backbone);
  }
  const std::vector<std::string> keys =
      opt.embedding_key.empty() ? kEmbeddingKeys : std::vector<std::string>{opt.embedding_key};
  for (const auto& k : keys) {
    if (tensors.count(k)) {
      e.key = k;
      e.matrix = tensors.at(k);
      if (e.matrix.dim() != 2) throw InputError("'" + opt.backbone + "': '" + k + "' is not a [V,D] matrix");
      return e;
    }
  }
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
  throw InputError("'" + opt.backbone + "' has no input embedding matrix (looked for " + list +
                   "; name it with --embedding-key)");
}

// The tokenizer that decodes ids: --tokenizer, else the backbone directory's, else the manifest's. Returns
// nullptr (and says why on stdout) when none loads; ids are printed then.
std::unique_ptr<text::Tokenizer> open_tokenizer(const Options& opt, const core::Manifest& m) {
  if (!opt.tokenizer.empty()) return text::load_tokenizer(opt.tokenizer);
  std::string why;
  for (const auto& candidate : {opt.backbone, m.tokenizer}) {
    if (candidate.empty()) continue;
    try {
      return text::load_tokenizer(candidate);
    } catch (const std::exception& e) {
      why += std::string(why.empty() ? "" : "; ") + e.what();
    }
  }
  std::cout << "(no tokenizer: printing token ids" << (why.empty() ? "" : ": " + why) << ")\n";
  return nullptr;
}

std::string token_text(const text::Tokenizer* tok, int64_t id) {
  if (!tok || id >= tok->vocab_size()) return "#" + std::to_string(id);
  return nlohmann::json(tok->decode({id})).dump() + "#" + std::to_string(id);  // quoted: spaces stay visible
}

void print_nearest(const Options& opt, const core::Artifact& a, const Embedding& emb) {
  const auto tok = open_tokenizer(opt, a.manifest);
  std::cout << "\nnearest tokens (cosine, top " << opt.top << ", embedding '" << emb.key << "')\n";
  bool any = false;
  for (const auto& slot : a.manifest.slots) {
    if (core::parse_slot(slot).kind != core::SlotKind::kInput) continue;  // keys/values live elsewhere
    const auto it = a.tensors.find(core::prompt_module_name(slot) + ".prompt_embeddings");
    if (it == a.tensors.end() || it->second.size(-1) != emb.matrix.size(1)) continue;
    const at::Tensor rows = it->second.reshape({-1, it->second.size(-1)});  // banks [N,P,D] -> [N*P,D]
    const auto near = core::nearest_tokens(rows, emb.matrix, opt.top);
    const int64_t per_prompt = it->second.size(-2);
    for (int64_t r = 0; r < rows.size(0); ++r) {
      std::cout << "  " << it->first << "[";
      if (it->second.dim() == 3) std::cout << r / per_prompt << ",";
      std::cout << r % per_prompt << "]";
      for (int64_t j = 0; j < near.ids.size(1); ++j)
        std::cout << "  " << token_text(tok.get(), near.ids[r][j].item<int64_t>()) << " " << std::fixed
                  << std::setprecision(3) << near.scores[r][j].item<float>();
      std::cout << "\n";
    }
    any = true;
  }
  if (!any) std::cout << "  (no input-slot prompt of width " << emb.matrix.size(1) << " in this artifact)\n";
}

int run(const Options& opt) {
  if (opt.top < 1) throw InputError("--top must be >= 1, got " + std::to_string(opt.top));
  const core::Artifact a = core::load_artifact(opt.artifact);
  std::cout << std::left << std::setw(12) << "artifact" << a.paths.manifest << "\n"
            << core::describe_manifest(a.manifest);
  if (opt.backbone.empty()) return 0;
  const Embedding emb = load_embedding(opt);
  const auto& recorded = a.manifest.backbone.weights_hash;
  std::cout << std::setw(12) << "check"
            << "backbone '" << opt.backbone << "' weights " << emb.fingerprint
            << (recorded.empty()              ? " (the artifact records no hash)"
                : recorded == emb.fingerprint ? " match the artifact"
                                              : " DIFFER from the artifact's " + recorded)
            << "\n";
  print_nearest(opt, a, emb);
  return 0;
}

softprompt::cli::Registration reg(
    "inspect", "print a prompt artifact's manifest and its nearest vocabulary tokens", [](CLI::App& sub) {
      auto opt = std::make_shared<Options>();
      sub.add_option("artifact", opt->artifact, "NAME, NAME.json or NAME.safetensors")->required();
      sub.add_option("--backbone", opt->backbone,
                     "HF model directory or safetensors file with the input embedding");
      sub.add_option("--tokenizer", opt->tokenizer,
                     "decode token ids (default: the backbone's, else the manifest's)");
      sub.add_option("--top", opt->top, "nearest tokens per prompt vector (default 5)");
      sub.add_option("--embedding-key", opt->embedding_key,
                     "tensor name of the [V,D] input embedding in the backbone");
      return [opt]() -> int { return run(*opt); };
    });

}  // namespace
