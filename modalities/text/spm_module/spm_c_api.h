/* The C interface of the softprompt_spm module: sentencepiece behind plain C calls.
 *
 * Why a module: libsentencepiece carries its own protobuf-lite and LibTorch links libprotobuf; in one symbol
 * namespace the two clash and the process crashes before main(). The module is the only code that links
 * sentencepiece, it links nothing of LibTorch, and softprompt loads it with dlmopen(LM_ID_NEWLM), so its
 * protobuf, libstdc++ and libc live in a namespace of their own. Only C types cross this boundary: results
 * come back through caller-supplied sinks (the caller copies them), so no memory is freed across
 * namespaces and no C++ exception crosses it. Every function that can fail returns 0 on success and
 * otherwise non-zero after passing a message to `err`. */
#ifndef SOFTPROMPT_SPM_C_API_H_
#define SOFTPROMPT_SPM_C_API_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOFTPROMPT_SPM_ABI_VERSION 1

typedef void (*softprompt_spm_bytes_sink)(void* ctx, const char* data, size_t size);
typedef void (*softprompt_spm_ids_sink)(void* ctx, const int* ids, size_t n);

enum softprompt_spm_special { SOFTPROMPT_SPM_UNK = 0, SOFTPROMPT_SPM_BOS = 1, SOFTPROMPT_SPM_EOS = 2, SOFTPROMPT_SPM_PAD = 3 };

int softprompt_spm_abi_version(void);

/* Trains a model from n trainer flags (key/value strings, e.g. "input" -> "corpus.txt"); the serialized
 * .model goes to `model`, the matching .vocab text (piece TAB score per line) to `vocab`. `seed` seeds
 * sentencepiece's random generator first. */
int softprompt_spm_train(const char* const* keys, const char* const* values, size_t n, unsigned seed,
                         softprompt_spm_bytes_sink model, void* model_ctx, softprompt_spm_bytes_sink vocab,
                         void* vocab_ctx, softprompt_spm_bytes_sink err, void* err_ctx);

/* A processor from a .model file, or NULL (after calling err). Free with softprompt_spm_free. */
void* softprompt_spm_load(const char* path, softprompt_spm_bytes_sink err, void* err_ctx);
void softprompt_spm_free(void* processor);

int softprompt_spm_encode(void* processor, const char* text, size_t size, softprompt_spm_ids_sink out,
                          void* out_ctx, softprompt_spm_bytes_sink err, void* err_ctx);
/* Ids must be in [0, piece_size); an id out of range is an error, never a crash. */
int softprompt_spm_decode(void* processor, const int* ids, size_t n, softprompt_spm_bytes_sink out,
                          void* out_ctx, softprompt_spm_bytes_sink err, void* err_ctx);

int softprompt_spm_piece_size(void* processor);
/* The id of `piece`, or -1 when the model does not know it. */
int softprompt_spm_piece_to_id(void* processor, const char* piece, size_t size);
/* Passes the piece of `id` to out; non-zero when id is out of range. */
int softprompt_spm_id_to_piece(void* processor, int id, softprompt_spm_bytes_sink out, void* out_ctx);
/* The id of a special token (enum softprompt_spm_special), -1 when the model disables it. */
int softprompt_spm_special_id(void* processor, int which);
/* 1 when id is a control or unknown token (what decode with skip_special drops), else 0. */
int softprompt_spm_is_special(void* processor, int id);

#ifdef __cplusplus
}
#endif

#endif /* SOFTPROMPT_SPM_C_API_H_ */
