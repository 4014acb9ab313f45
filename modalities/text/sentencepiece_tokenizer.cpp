#include "modalities/text/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "modalities/text/spm_module/spm_c_api.h"
#include "modalities/text/utf8.h"

namespace softprompt::modalities::text {
namespace {

constexpr const char* kModuleName = "libsoftprompt_spm.so";

// The module's entry points, resolved once.
struct SpmApi {
  std::string path;
  decltype(&softprompt_spm_train) train = nullptr;
  decltype(&softprompt_spm_load) load = nullptr;
  decltype(&softprompt_spm_free) free = nullptr;
  decltype(&softprompt_spm_encode) encode = nullptr;
  decltype(&softprompt_spm_decode) decode = nullptr;
  decltype(&softprompt_spm_piece_size) piece_size = nullptr;
  decltype(&softprompt_spm_piece_to_id) piece_to_id = nullptr;
  decltype(&softprompt_spm_id_to_piece) id_to_piece = nullptr;
  decltype(&softprompt_spm_special_id) special_id = nullptr;
  decltype(&softprompt_spm_is_special) is_special = nullptr;
};

std::vector<std::string> candidate_paths() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("SOFTPROMPT_SPM_MODULE"); env && *env) paths.emplace_back(env);
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0)
    paths.push_back(
        (std::filesystem::path(std::string(exe, static_cast<size_t>(n))).parent_path() / kModuleName)
            .string());
#ifdef SOFTPROMPT_SPM_MODULE_BUILD_PATH
  paths.emplace_back(SOFTPROMPT_SPM_MODULE_BUILD_PATH);
#endif
  return paths;
}

template <class T>
void resolve(void* handle, const char* name, T& fn, const std::string& path) {
  fn = reinterpret_cast<T>(dlsym(handle, name));
  if (!fn) throw IoError("sentencepiece module '" + path + "' lacks the symbol " + name);
}

SpmApi load_api() {
  std::string tried;
  for (const auto& path : candidate_paths()) {
    if (!std::filesystem::exists(path)) {
      tried += "\n  " + path + ": no such file";
      continue;
    }
    // A fresh link-map namespace: the module's protobuf (inside libsentencepiece) never meets LibTorch's.
    void* h = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      tried += "\n  " + path + ": " + (e ? e : "dlmopen failed");
      continue;
    }
    SpmApi api;
    api.path = path;
    decltype(&softprompt_spm_abi_version) abi = nullptr;
    resolve(h, "softprompt_spm_abi_version", abi, path);
    if (abi() != SOFTPROMPT_SPM_ABI_VERSION)
      throw IoError("sentencepiece module '" + path + "' has ABI " + std::to_string(abi()) + ", expected " +
                    std::to_string(SOFTPROMPT_SPM_ABI_VERSION) + " (rebuild softprompt_spm)");
    resolve(h, "softprompt_spm_train", api.train, path);
    resolve(h, "softprompt_spm_load", api.load, path);
    resolve(h, "softprompt_spm_free", api.free, path);
    resolve(h, "softprompt_spm_encode", api.encode, path);
    resolve(h, "softprompt_spm_decode", api.decode, path);
    resolve(h, "softprompt_spm_piece_size", api.piece_size, path);
    resolve(h, "softprompt_spm_piece_to_id", api.piece_to_id, path);
    resolve(h, "softprompt_spm_id_to_piece", api.id_to_piece, path);
    resolve(h, "softprompt_spm_special_id", api.special_id, path);
    resolve(h, "softprompt_spm_is_special", api.is_special, path);
    return api;  // the handle stays open for the life of the process
  }
  throw IoError("cannot load the sentencepiece module " + std::string(kModuleName) +
                " (set SOFTPROMPT_SPM_MODULE to its path); tried:" + tried);
}

const SpmApi& api() {
  static const SpmApi a = load_api();  // a throwing initializer is retried on the next call
  return a;
}

void to_string_sink(void* ctx, const char* data, size_t size) {
  static_cast<std::string*>(ctx)->append(data, size);
}
void to_ids_sink(void* ctx, const int* ids, size_t n) {
  auto* v = static_cast<Ids*>(ctx);
  v->insert(v->end(), ids, ids + n);
}

std::optional<int64_t> special(void* p, int which) {
  const int id = api().special_id(p, which);
  return id < 0 ? std::nullopt : std::optional<int64_t>(id);
}

// Checks the options and turns them into trainer flags.
std::map<std::string, std::string> trainer_flags(const SentencePieceTrainOptions& opt) {
  if (opt.model_prefix.empty()) throw InputError("sentencepiece training: model_prefix is empty");
  if (opt.vocab_size < 1 || opt.vocab_size > INT_MAX)
    throw InputError("sentencepiece training: vocab_size must be positive, got " +
                     std::to_string(opt.vocab_size));
  if (opt.model_type != "unigram" && opt.model_type != "bpe" && opt.model_type != "char" &&
      opt.model_type != "word")
    throw InputError("sentencepiece training: model_type must be unigram, bpe, char or word, got '" +
                     opt.model_type + "'");
  if (!(opt.character_coverage > 0.0 && opt.character_coverage <= 1.0))
    throw InputError("sentencepiece training: character_coverage must be in (0, 1], got " +
                     std::to_string(opt.character_coverage));
  if (opt.num_threads < 1)
    throw InputError("sentencepiece training: num_threads must be >= 1, got " +
                     std::to_string(opt.num_threads));
  std::string symbols;
  for (const auto& s : opt.user_defined_symbols) {
    if (s.empty() || s.find(',') != std::string::npos)
      throw InputError("sentencepiece training: user-defined symbol '" + s + "' is empty or contains ','");
    validate_utf8(s, "user-defined symbol");
    symbols += (symbols.empty() ? "" : ",") + s;
  }
  std::ifstream in(opt.input, std::ios::binary);
  if (!in || std::filesystem::is_directory(opt.input))
    throw IoError("sentencepiece training: cannot read input '" + opt.input + "'");
  std::map<std::string, std::string> flags = {
      {"input", opt.input},
      {"vocab_size", std::to_string(opt.vocab_size)},
      {"model_type", opt.model_type},
      {"character_coverage", std::to_string(opt.character_coverage)},
      {"num_threads", std::to_string(opt.num_threads)},
      {"minloglevel", opt.verbose ? "0" : "1"},
  };
  if (!symbols.empty()) flags["user_defined_symbols"] = symbols;
  for (const auto& [k, v] : opt.extra) flags[k] = v;
  // The trainer hands the model back in memory (written atomically here), so it must not get a prefix.
  flags.erase("model_prefix");
  return flags;
}

}  // namespace

std::string sentencepiece_module_path() { return api().path; }

void train_sentencepiece(const SentencePieceTrainOptions& opt) {
  const auto flags = trainer_flags(opt);
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : flags) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  std::string model, vocab, err;
  if (api().train(keys.data(), values.data(), keys.size(), opt.seed, to_string_sink, &model, to_string_sink,
                  &vocab, to_string_sink, &err) != 0)
    throw InputError("sentencepiece training on '" + opt.input + "' failed: " + err);
  core::io::write_files_atomically(
      {{opt.model_prefix + ".model", model}, {opt.model_prefix + ".vocab", vocab}});
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path) : path_(model_path) {
  if (!std::filesystem::is_regular_file(model_path))
    throw IoError("sentencepiece model '" + model_path + "' does not exist or is not a file");
  std::string err;
  processor_ = api().load(model_path.c_str(), to_string_sink, &err);
  if (!processor_) throw InputError("'" + model_path + "' is not a sentencepiece model: " + err);
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (processor_) api().free(processor_);
}

Ids SentencePieceTokenizer::encode(std::string_view text, bool add_special) const {
  validate_utf8(text);
  Ids ids;
  std::string err;
  const auto bos = add_special ? special(processor_, SOFTPROMPT_SPM_BOS) : std::nullopt;
  if (bos) ids.push_back(*bos);
  if (api().encode(processor_, text.data(), text.size(), to_ids_sink, &ids, to_string_sink, &err) != 0)
    throw InputError("sentencepiece encode failed: " + err);
  const auto eos = add_special ? special(processor_, SOFTPROMPT_SPM_EOS) : std::nullopt;
  if (eos) ids.push_back(*eos);
  return ids;
}

std::string SentencePieceTokenizer::decode(const Ids& ids, bool skip_special) const {
  std::vector<int> v;
  v.reserve(ids.size());
  const int64_t n = vocab_size();
  for (int64_t id : ids) {
    if (id < 0 || id >= n)
      throw InputError("token id " + std::to_string(id) + " is out of range [0, " + std::to_string(n) + ")");
    if (skip_special && api().is_special(processor_, static_cast<int>(id))) continue;
    v.push_back(static_cast<int>(id));
  }
  std::string out, err;
  if (api().decode(processor_, v.data(), v.size(), to_string_sink, &out, to_string_sink, &err) != 0)
    throw InputError("sentencepiece decode failed: " + err);
  return out;
}

int64_t SentencePieceTokenizer::vocab_size() const { return api().piece_size(processor_); }

std::string SentencePieceTokenizer::id_to_token(int64_t id) const {
  std::string piece;
  if (id < 0 || id > INT_MAX ||
      api().id_to_piece(processor_, static_cast<int>(id), to_string_sink, &piece) != 0)
    throw InputError("token id " + std::to_string(id) + " is out of range [0, " +
                     std::to_string(vocab_size()) + ")");
  return piece;
}

std::optional<int64_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const int id = api().piece_to_id(processor_, token.data(), token.size());
  return id < 0 ? std::nullopt : std::optional<int64_t>(id);
}

SpecialTokens SentencePieceTokenizer::special_tokens() const {
  return {special(processor_, SOFTPROMPT_SPM_BOS), special(processor_, SOFTPROMPT_SPM_EOS),
          special(processor_, SOFTPROMPT_SPM_PAD), special(processor_, SOFTPROMPT_SPM_UNK)};
}

}  // namespace softprompt::modalities::text
