#pragma once
// Training checkpoints: everything a run needs to continue bit for bit where it stopped, in ONE safetensors
// file written atomically (temp file, fsync, rename), so a kill mid-save leaves the previous checkpoint
// intact.
//
// Layout of <checkpoint_dir>/last.ckpt (a valid safetensors file; inspect it with any safetensors reader):
//   trainable/<name>   the trainable tensors
//   best/<name>        the trainable tensors at the best evaluation so far (when there was one)
//   optimizer          U8 bytes: the optimizer's state (LibTorch archive: moments, step counts, options)
//   rng/<i>            U8: LibTorch generator states (CPU, then each CUDA device)
//   __metadata__       format = "softprompt.checkpoint", version = "1", trainer_state = JSON (TrainerState)
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/trainer/history.h"

namespace softprompt::core::trainer {

using TensorMap = core::io::TensorMap;

// The loop's own state. The data order is a function of (seed, epoch), so (epoch, batch_in_epoch) is the
// whole data position; the lr schedule is a function of step.
struct TrainerState {
  int64_t step = 0;            // optimizer updates done
  int64_t epoch = 0;           // the epoch being consumed
  int64_t batch_in_epoch = 0;  // batches of that epoch already consumed
  double elapsed_s = 0;        // training time before this process
  double loss_sum = 0;         // train losses since the last log point (so the next point averages them all)
  int64_t loss_count = 0;
  // early stopping
  bool has_best = false;
  double best_metric = 0;
  int64_t best_step = -1;
  int64_t bad_evals = 0;
  History history;
  // What the run must agree on to resume (checked by the trainer).
  uint64_t seed = 0;
  int64_t batch_size = 0;
  int64_t train_size = 0;
  bool drop_last = false;
  std::string optimizer;
};

struct Checkpoint {
  TrainerState state;
  TensorMap trainable;
  TensorMap best;  // empty when there was no evaluation yet
  std::string optimizer_state;
  std::vector<at::Tensor> rng_state;
};

// Serialized checkpoint bytes (safetensors), and the atomic file write.
std::string serialize_checkpoint(const Checkpoint& checkpoint);
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Throws IoError when the file cannot be read, InputError (naming the path) when it is not a checkpoint.
Checkpoint load_checkpoint(const std::string& path);

// The trainer state <-> JSON text (NaN metrics are stored as null).
std::string trainer_state_to_json(const TrainerState& state);
TrainerState trainer_state_from_json(const std::string& json, const std::string& label);

// Copies `source` into `target` in place (under NoGradGuard, keeping each target's device and dtype), after
// checking that both hold exactly the same names and shapes. Throws InputError naming `label` and the key.
void copy_tensors_into(const TensorMap& target, const TensorMap& source, const std::string& label);
// Detached copies (for keeping the best state in memory).
TensorMap clone_tensors(const TensorMap& tensors);

}  // namespace softprompt::core::trainer
