#pragma once
// HuBERT / wav2vec 2.0 input normalisation: Hugging Face's Wav2Vec2FeatureExtractor with do_normalize=True
// (zero_mean_unit_var_norm): each utterance becomes (x - mean) / sqrt(var + 1e-7) over its real samples
// (population variance), and the padding after them is set to `padding_value`.
#include <ATen/core/Tensor.h>

namespace softprompt::modalities::speech {

// waveform [N] or [B,N] float (any device); lengths: undefined (every sample is real) or [B] integer counts
// of real samples per row (right padding) -> same shape and dtype. Statistics are computed in float64. Throws
// InputError for a length outside [1, N].
at::Tensor normalize_waveform(const at::Tensor& waveform, const at::Tensor& lengths = {},
                              double padding_value = 0.0);

}  // namespace softprompt::modalities::speech
