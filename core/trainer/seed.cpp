#include "core/trainer/seed.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>

#include <mutex>
#include <random>
#include <string>

#include "core/errors.h"

namespace softprompt::core::trainer {
namespace {

// SplitMix64 finalizer: decorrelates (seed, epoch) pairs before they seed the Mersenne Twister.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, bound) by rejection (Lemire's threshold), independent of the standard library.
uint64_t bounded(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

std::vector<at::Generator> generators() {
  std::vector<at::Generator> out{at::globalContext().defaultGenerator(at::kCPU)};
  const auto& cuda = at::detail::getCUDAHooks();
  if (at::hasCUDA())
    for (int64_t i = 0; i < cuda.getNumGPUs(); ++i) out.push_back(cuda.getDefaultCUDAGenerator(i));
  return out;
}

}  // namespace

void seed_everything(uint64_t seed) { at::manual_seed(seed); }

std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(mix(seed ^ mix(static_cast<uint64_t>(epoch))));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<size_t>(i)], order[bounded(rng, static_cast<uint64_t>(i) + 1)]);
  return order;
}

std::vector<at::Tensor> get_rng_state() {
  std::vector<at::Tensor> out;
  for (auto& gen : generators()) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.push_back(gen.get_state());
  }
  return out;
}

void set_rng_state(const std::vector<at::Tensor>& state) {
  auto gens = generators();
  if (state.size() != gens.size())
    throw InputError("the checkpoint holds " + std::to_string(state.size()) +
                     " random generator states, this " + "process has " + std::to_string(gens.size()) +
                     " (a different number of devices)");
  for (size_t i = 0; i < gens.size(); ++i) {
    std::lock_guard<std::mutex> lock(gens[i].mutex());
    try {
      gens[i].set_state(state[i]);
    } catch (const c10::Error& e) {
      throw InputError("invalid random generator state " + std::to_string(i) + ": " +
                       e.what_without_backtrace());
    }
  }
}

}  // namespace softprompt::core::trainer
