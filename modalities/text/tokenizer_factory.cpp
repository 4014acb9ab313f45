#include "modalities/text/tokenizer_factory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "modalities/text/clip_tokenizer.h"
#include "modalities/text/gpt2_tokenizer.h"
#include "modalities/text/sentencepiece_tokenizer.h"

namespace softprompt::modalities::text {
namespace {
namespace fs = std::filesystem;

std::string assets_dir() {
  if (const char* env = std::getenv("SOFTPROMPT_ASSETS"); env && *env) return env;
#ifdef SOFTPROMPT_ASSETS_DIR
  return SOFTPROMPT_ASSETS_DIR;
#else
  return "assets";
#endif
}

bool is_gzip(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
}

bool has(const fs::path& dir, const char* a, const char* b = nullptr) {
  return fs::is_regular_file(dir / a) && (!b || fs::is_regular_file(dir / b));
}

// The file (or GPT-2 directory) inside a directory, or empty.
fs::path pick_in_directory(const fs::path& dir, TokenizerKind& kind) {
  if (has(dir, "vocab.json", "merges.txt") || has(dir, "encoder.json", "vocab.bpe")) {
    kind = TokenizerKind::kGpt2;
    return dir;
  }
  for (const char* name : {"tokenizer.model", "spiece.model", "sentencepiece.model"}) {
    if (has(dir, name)) {
      kind = TokenizerKind::kSentencePiece;
      return dir / name;
    }
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".gz" && is_gzip(e.path())) {
      kind = TokenizerKind::kClip;
      return e.path();
    }
  }
  return {};
}

std::pair<fs::path, TokenizerKind> resolve(const std::string& path) {
  fs::path p(path);
  if (!fs::exists(p) && (path == "gpt2" || path == "clip")) p = fs::path(assets_dir()) / "tokenizers" / path;
  if (!fs::exists(p)) throw IoError("tokenizer '" + path + "' does not exist");
  TokenizerKind kind = TokenizerKind::kGpt2;
  if (fs::is_directory(p)) {
    fs::path inner = pick_in_directory(p, kind);
    if (inner.empty())
      throw InputError("directory '" + p.string() +
                       "' holds no tokenizer (expected vocab.json + merges.txt, encoder.json + vocab.bpe, "
                       "a CLIP bpe_simple_vocab_16e6.txt.gz or a sentencepiece tokenizer.model)");
    return {inner, kind};
  }
  if (is_gzip(p)) return {p, TokenizerKind::kClip};
  if (p.extension() == ".model") return {p, TokenizerKind::kSentencePiece};
  throw InputError("'" + path +
                   "' is not a tokenizer: expected a GPT-2 directory, a CLIP .txt.gz or a "
                   "sentencepiece .model");
}

}  // namespace

TokenizerKind detect_tokenizer_kind(const std::string& path) { return resolve(path).second; }

std::string resolve_tokenizer_path(const std::string& path) { return resolve(path).first.string(); }

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  const auto [p, kind] = resolve(path);
  switch (kind) {
    case TokenizerKind::kGpt2:
      return Gpt2Tokenizer::from_directory(p.string());
    case TokenizerKind::kClip:
      return ClipTokenizer::from_file(p.string());
    case TokenizerKind::kSentencePiece:
      return std::make_unique<SentencePieceTokenizer>(p.string());
  }
  throw InputError("unknown tokenizer kind for '" + path + "'");
}

}  // namespace softprompt::modalities::text
