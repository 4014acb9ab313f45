#pragma once
// Seeding and reproducible data order: LibTorch's generators are seeded from one number, and each epoch's
// order is a pure function of (seed, epoch), so a resumed run needs only the epoch and the position in it.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace softprompt::core::trainer {

// Seeds LibTorch's CPU generator (and every CUDA generator when there are GPUs). Call it before building the
// task so that random prompt initializations are reproducible too.
void seed_everything(uint64_t seed);

// A permutation of [0, n) for `epoch`: Fisher-Yates over a std::mt19937_64 seeded from (seed, epoch), with
// unbiased bounded draws, so the order is the same on every platform and standard library.
std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n);

// The state of LibTorch's default generators (CPU first, then each CUDA device), to save in a checkpoint.
std::vector<at::Tensor> get_rng_state();
// Restores it. Throws InputError when the number of generators differs (a checkpoint from another machine).
void set_rng_state(const std::vector<at::Tensor>& state);

}  // namespace softprompt::core::trainer
