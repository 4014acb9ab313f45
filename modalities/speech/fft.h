#pragma once
// Real-input FFT with FFTW in double precision. One plan per transform size is made once (FFTW's planner is
// not thread-safe, so planning is serialized) and then shared: executing a plan on new arrays is thread-safe,
// so frames are transformed in parallel with at::parallel_for.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace softprompt::modalities::speech {

// |rfft(row)|^power of every row of `frames`: [..., n] (any float dtype, any device) -> [..., n/2+1] float64
// on the frames' device. power > 0 (2 = power spectrum, 1 = magnitude). The transform runs on the CPU.
at::Tensor rfft_power(const at::Tensor& frames, double power = 2.0);

// Number of distinct FFT sizes planned so far (for tests: plans are reused, not remade per call).
int64_t fft_plan_count();

}  // namespace softprompt::modalities::speech
