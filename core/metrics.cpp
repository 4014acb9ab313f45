#include "core/metrics.h"

#include <torch/torch.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::core {
namespace {

void check_pair(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  if (predictions.size() != labels.size())
    throw InputError("metrics: " + std::to_string(predictions.size()) + " predictions for " +
                     std::to_string(labels.size()) + " labels");
  if (labels.empty()) throw InputError("metrics: no examples");
}

// Replaces non-finite numbers by null, recursively: nlohmann would write them as null anyway, but
// explicitly doing it keeps the intent visible and the output identical across library versions.
nlohmann::json finite_only(const nlohmann::json& j) {
  if (j.is_number_float()) return std::isfinite(j.get<double>()) ? j : nlohmann::json(nullptr);
  if (j.is_object() || j.is_array()) {
    nlohmann::json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = finite_only(*it);
    return out;
  }
  return j;
}

}  // namespace

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_pair(predictions, labels);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

at::Tensor confusion_matrix(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                            int64_t num_classes) {
  check_pair(predictions, labels);
  if (num_classes <= 0) throw InputError("confusion_matrix: num_classes = " + std::to_string(num_classes));
  auto m = torch::zeros({num_classes, num_classes}, torch::kLong);
  auto acc = m.accessor<int64_t, 2>();
  for (size_t i = 0; i < labels.size(); ++i) {
    for (int64_t c : {labels[i], predictions[i]})
      if (c < 0 || c >= num_classes)
        throw InputError("confusion_matrix: class " + std::to_string(c) + " at example " + std::to_string(i) +
                         " is outside [0, " + std::to_string(num_classes) + ")");
    acc[labels[i]][predictions[i]] += 1;
  }
  return m;
}

double macro_f1(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                int64_t num_classes) {
  auto m = confusion_matrix(predictions, labels, num_classes);
  auto acc = m.accessor<int64_t, 2>();
  double sum = 0;
  int64_t classes = 0;
  for (int64_t c = 0; c < num_classes; ++c) {
    int64_t true_count = 0, pred_count = 0;
    for (int64_t k = 0; k < num_classes; ++k) {
      true_count += acc[c][k];
      pred_count += acc[k][c];
    }
    if (true_count == 0 && pred_count == 0) continue;
    const double tp = static_cast<double>(acc[c][c]);
    sum += 2.0 * tp / static_cast<double>(true_count + pred_count);  // F1 = 2TP / (2TP + FP + FN)
    ++classes;
  }
  return sum / static_cast<double>(classes);
}

std::map<std::string, double> classification_metrics(const std::vector<int64_t>& predictions,
                                                     const std::vector<int64_t>& labels,
                                                     int64_t num_classes) {
  return {{"accuracy", accuracy(predictions, labels)},
          {"macro_f1", macro_f1(predictions, labels, num_classes)}};
}

MeanStd mean_std(const std::vector<double>& values) {
  if (values.empty()) throw InputError("mean_std: no values");
  MeanStd r;
  r.n = static_cast<int64_t>(values.size());
  for (double v : values) r.mean += v;
  r.mean /= static_cast<double>(r.n);
  if (r.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - r.mean) * (v - r.mean);
    r.std = std::sqrt(ss / static_cast<double>(r.n - 1));
  }
  return r;
}

std::string format_mean_std(const MeanStd& m, int precision) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%.*f \u00b1 %.*f (n=%lld)", precision, m.mean, precision, m.std,
                static_cast<long long>(m.n));
  return buf;
}

JsonlWriter::JsonlWriter(const std::string& path, bool append) : path_(path) {
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  out_.open(path, append ? std::ios::app : std::ios::trunc);
  if (!out_) throw IoError("cannot open metrics log '" + path + "': " + std::strerror(errno));
}

void JsonlWriter::write(const nlohmann::json& record) {
  out_ << finite_only(record).dump() << '\n';
  out_.flush();
  if (!out_) throw IoError("cannot write metrics log '" + path_ + "'");
}

void truncate_jsonl_after_step(const std::string& path, int64_t step) {
  if (!std::filesystem::exists(path)) return;
  std::istringstream in(core::io::read_file(path));
  std::string line, kept;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // a line torn by a kill
    auto it = j.find("step");
    if (it != j.end() && it->is_number_integer() && it->get<int64_t>() > step) continue;
    kept += line + '\n';
  }
  core::io::write_file_atomically(path, kept);
}

}  // namespace softprompt::core
