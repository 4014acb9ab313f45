#include "modalities/speech/fft.h"

#include <ATen/Parallel.h>
#include <fftw3.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <mutex>
#include <vector>

#include "core/errors.h"

namespace softprompt::modalities::speech {
namespace {

// Process-wide plan cache. FFTW_ESTIMATE does not touch the arrays it plans with; FFTW_UNALIGNED lets the
// plan run on any rows later (fftw_execute_dft_r2c requires the alignment the plan was made for otherwise).
class PlanCache {
 public:
  ~PlanCache() {
    for (auto& [n, plan] : plans_) fftw_destroy_plan(plan);
  }
  fftw_plan get(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(n);
    if (it != plans_.end()) return it->second;
    double* in = fftw_alloc_real(static_cast<size_t>(n));
    fftw_complex* out = fftw_alloc_complex(static_cast<size_t>(n / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_PRESERVE_INPUT);
    fftw_free(in);
    fftw_free(out);
    TORCH_CHECK(plan != nullptr, "FFTW could not plan a real FFT of size ", n);
    plans_[n] = plan;
    return plan;
  }
  int64_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(plans_.size());
  }

 private:
  std::mutex mutex_;
  std::map<int, fftw_plan> plans_;
};

PlanCache& plan_cache() {
  static PlanCache cache;
  return cache;
}

}  // namespace

int64_t fft_plan_count() { return plan_cache().size(); }

at::Tensor rfft_power(const at::Tensor& frames, double power) {
  TORCH_CHECK(frames.dim() >= 1 && frames.size(-1) >= 1, "rfft_power: frames must be [..., n] with n >= 1");
  TORCH_CHECK(frames.is_floating_point(), "rfft_power: frames must be a float tensor, got ",
              frames.scalar_type());
  if (!(power > 0.0)) throw InputError("rfft_power: power must be > 0, got " + std::to_string(power));
  const int64_t n = frames.size(-1);
  const int64_t bins = n / 2 + 1;
  at::Tensor in = frames.to(at::kCPU, at::kDouble).contiguous().reshape({-1, n});
  const int64_t rows = in.size(0);
  std::vector<int64_t> out_shape(frames.sizes().begin(), frames.sizes().end());
  out_shape.back() = bins;
  at::Tensor out = at::empty({rows, bins}, in.options());
  if (rows == 0) return out.reshape(out_shape).to(frames.device());
  const fftw_plan plan = plan_cache().get(static_cast<int>(n));
  const double* src = in.data_ptr<double>();
  double* dst = out.data_ptr<double>();
  at::parallel_for(0, rows, /*grain_size=*/8, [&](int64_t begin, int64_t end) {
    std::vector<fftw_complex> spectrum(static_cast<size_t>(bins));
    for (int64_t r = begin; r < end; ++r) {
      // The plan preserves its input, so reading straight from the tensor's row is safe.
      fftw_execute_dft_r2c(plan, const_cast<double*>(src + r * n), spectrum.data());
      double* row = dst + r * bins;
      for (int64_t k = 0; k < bins; ++k) {
        const double p2 = spectrum[k][0] * spectrum[k][0] + spectrum[k][1] * spectrum[k][1];
        row[k] = power == 2.0 ? p2 : (power == 1.0 ? std::sqrt(p2) : std::pow(p2, power / 2.0));
      }
    }
  });
  return out.reshape(out_shape).to(frames.device());
}

}  // namespace softprompt::modalities::speech
