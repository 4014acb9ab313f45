#include "modalities/text/tokenizer.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/errors.h"

namespace softprompt::modalities::text {

std::vector<Ids> Tokenizer::encode_all(const std::vector<std::string>& texts, bool add_special) const {
  std::vector<Ids> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(encode(t, add_special));
  return out;
}

Ids truncate(Ids ids, const TruncateOptions& opt) {
  if (opt.max_length <= 0 || static_cast<int64_t>(ids.size()) <= opt.max_length) return ids;
  const auto n = static_cast<size_t>(opt.max_length);
  if (opt.side == Side::kRight) {
    ids.resize(n);
    if (opt.keep_end_token) ids.back() = *opt.keep_end_token;
  } else {
    ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(n));
    if (opt.keep_end_token) ids.front() = *opt.keep_end_token;
  }
  return ids;
}

Batch pad_batch(const std::vector<Ids>& rows, const PadOptions& opt) {
  if (opt.pad_to_multiple < 1)
    throw InputError("pad_batch: pad_to_multiple must be >= 1, got " + std::to_string(opt.pad_to_multiple));
  int64_t longest = 0;
  for (const auto& r : rows) longest = std::max<int64_t>(longest, static_cast<int64_t>(r.size()));
  int64_t len = longest;
  if (opt.pad_to_length > 0) {
    if (longest > opt.pad_to_length)
      throw InputError("pad_batch: a row has " + std::to_string(longest) +
                       " tokens, more than pad_to_length " + std::to_string(opt.pad_to_length) +
                       " (truncate first)");
    len = opt.pad_to_length;
  }
  len = (len + opt.pad_to_multiple - 1) / opt.pad_to_multiple * opt.pad_to_multiple;
  const auto b = static_cast<int64_t>(rows.size());
  Batch out;
  out.input_ids = torch::full({b, len}, opt.pad_id, torch::kInt64);
  out.attention_mask = torch::zeros({b, len}, torch::kInt64);
  auto ids = out.input_ids.accessor<int64_t, 2>();
  auto mask = out.attention_mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const auto& r = rows[static_cast<size_t>(i)];
    const auto n = static_cast<int64_t>(r.size());
    const int64_t start = opt.side == Side::kRight ? 0 : len - n;
    for (int64_t j = 0; j < n; ++j) {
      ids[i][start + j] = r[static_cast<size_t>(j)];
      mask[i][start + j] = 1;
    }
    out.lengths.push_back(n);
  }
  return out;
}

}  // namespace softprompt::modalities::text
