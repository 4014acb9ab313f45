// The softprompt_spm module: sentencepiece (Kudo & Richardson 2018) behind the C interface of spm_c_api.h.
// Built as a MODULE that links libsentencepiece and never LibTorch; see spm_c_api.h for why.
#include "modalities/text/spm_module/spm_c_api.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using sentencepiece::SentencePieceProcessor;

void report(softprompt_spm_bytes_sink err, void* ctx, const std::string& msg) {
  if (err) err(ctx, msg.data(), msg.size());
}

// Runs `f`, turning any exception into a message: nothing may unwind through the C boundary.
template <class F>
int guarded(softprompt_spm_bytes_sink err, void* ctx, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    report(err, ctx, e.what());
  } catch (...) {
    report(err, ctx, "unknown C++ exception in the sentencepiece module");
  }
  return 1;
}

SentencePieceProcessor* processor(void* p) { return static_cast<SentencePieceProcessor*>(p); }

bool id_in_range(void* p, int id) { return id >= 0 && id < processor(p)->GetPieceSize(); }

}  // namespace

extern "C" {

int softprompt_spm_abi_version(void) { return SOFTPROMPT_SPM_ABI_VERSION; }

int softprompt_spm_train(const char* const* keys, const char* const* values, size_t n, unsigned seed,
                         softprompt_spm_bytes_sink model, void* model_ctx, softprompt_spm_bytes_sink vocab,
                         void* vocab_ctx, softprompt_spm_bytes_sink err, void* err_ctx) {
  return guarded(err, err_ctx, [&]() -> int {
    std::unordered_map<std::string, std::string> kwargs;
    for (size_t i = 0; i < n; ++i) kwargs[keys[i]] = values[i];
    sentencepiece::SetRandomGeneratorSeed(seed);
    std::string serialized;
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, nullptr, &serialized);
    if (!status.ok()) {
      report(err, err_ctx, status.ToString());
      return 1;
    }
    SentencePieceProcessor sp;
    const auto loaded = sp.LoadFromSerializedProto(serialized);
    if (!loaded.ok()) {
      report(err, err_ctx, "trained model does not load: " + loaded.ToString());
      return 1;
    }
    std::ostringstream v;
    for (int i = 0; i < sp.GetPieceSize(); ++i) v << sp.IdToPiece(i) << '\t' << sp.GetScore(i) << '\n';
    const std::string vocab_text = v.str();
    model(model_ctx, serialized.data(), serialized.size());
    vocab(vocab_ctx, vocab_text.data(), vocab_text.size());
    return 0;
  });
}

void* softprompt_spm_load(const char* path, softprompt_spm_bytes_sink err, void* err_ctx) {
  void* out = nullptr;
  guarded(err, err_ctx, [&]() -> int {
    auto* sp = new SentencePieceProcessor();
    const auto status = sp->Load(path);
    if (!status.ok()) {
      delete sp;
      report(err, err_ctx, status.ToString());
      return 1;
    }
    out = sp;
    return 0;
  });
  return out;
}

void softprompt_spm_free(void* p) { delete processor(p); }

int softprompt_spm_encode(void* p, const char* text, size_t size, softprompt_spm_ids_sink out, void* out_ctx,
                          softprompt_spm_bytes_sink err, void* err_ctx) {
  return guarded(err, err_ctx, [&]() -> int {
    std::vector<int> ids;
    const auto status = processor(p)->Encode(std::string(text, size), &ids);
    if (!status.ok()) {
      report(err, err_ctx, status.ToString());
      return 1;
    }
    out(out_ctx, ids.data(), ids.size());
    return 0;
  });
}

int softprompt_spm_decode(void* p, const int* ids, size_t n, softprompt_spm_bytes_sink out, void* out_ctx,
                          softprompt_spm_bytes_sink err, void* err_ctx) {
  return guarded(err, err_ctx, [&]() -> int {
    std::vector<int> v(ids, ids + n);
    for (int id : v) {
      if (!id_in_range(p, id)) {
        report(err, err_ctx,
               "id " + std::to_string(id) + " is out of range [0, " +
                   std::to_string(processor(p)->GetPieceSize()) + ")");
        return 1;
      }
    }
    std::string text;
    const auto status = processor(p)->Decode(v, &text);
    if (!status.ok()) {
      report(err, err_ctx, status.ToString());
      return 1;
    }
    out(out_ctx, text.data(), text.size());
    return 0;
  });
}

int softprompt_spm_piece_size(void* p) { return processor(p)->GetPieceSize(); }

int softprompt_spm_piece_to_id(void* p, const char* piece, size_t size) {
  const std::string s(piece, size);
  const int id = processor(p)->PieceToId(s);
  // PieceToId answers unk_id for unknown pieces; only the unk piece itself really has that id.
  if (id == processor(p)->unk_id() && processor(p)->IdToPiece(id) != s) return -1;
  return id;
}

int softprompt_spm_id_to_piece(void* p, int id, softprompt_spm_bytes_sink out, void* out_ctx) {
  if (!id_in_range(p, id)) return 1;
  const std::string& piece = processor(p)->IdToPiece(id);
  out(out_ctx, piece.data(), piece.size());
  return 0;
}

int softprompt_spm_special_id(void* p, int which) {
  switch (which) {
    case SOFTPROMPT_SPM_UNK:
      return processor(p)->unk_id();
    case SOFTPROMPT_SPM_BOS:
      return processor(p)->bos_id();
    case SOFTPROMPT_SPM_EOS:
      return processor(p)->eos_id();
    case SOFTPROMPT_SPM_PAD:
      return processor(p)->pad_id();
    default:
      return -1;
  }
}

int softprompt_spm_is_special(void* p, int id) {
  if (!id_in_range(p, id)) return 0;
  return processor(p)->IsControl(id) || processor(p)->IsUnknown(id) ? 1 : 0;
}

}  // extern "C"
