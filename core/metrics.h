#pragma once
// Classification metrics (accuracy, macro-F1, confusion matrix), mean/std over seeds, and the JSON-lines
// metrics log every training run writes (one object per line, flushed per line so `tail -f` works).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace softprompt::core {

// Fraction of equal entries. Throws InputError when the sizes differ or are 0.
double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);

// [C, C] int64 counts; row = true class, column = predicted class. Throws InputError for sizes that differ
// or a class outside [0, num_classes).
at::Tensor confusion_matrix(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                            int64_t num_classes);

// Unweighted mean of the per-class F1 over the classes that occur in `labels` or `predictions`
// (scikit-learn's f1_score(average="macro") without an explicit label list; a class with no true positive
// scores 0).
double macro_f1(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                int64_t num_classes);

// {"accuracy": ..., "macro_f1": ...}: what a classification task's evaluate() usually returns.
std::map<std::string, double> classification_metrics(const std::vector<int64_t>& predictions,
                                                     const std::vector<int64_t>& labels, int64_t num_classes);

struct MeanStd {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1); 0 for a single value
  int64_t n = 0;
};
// For reporting a metric over several seeds: "0.842 ± 0.013 (n=5)". Throws InputError when empty.
MeanStd mean_std(const std::vector<double>& values);
std::string format_mean_std(const MeanStd& m, int precision = 3);

// Appends JSON objects, one per line, to a file. Non-finite numbers are written as null (valid JSON).
class JsonlWriter {
 public:
  // append = false truncates the file. Throws IoError naming the path when it cannot be opened.
  JsonlWriter(const std::string& path, bool append);
  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

// For resuming: keeps only the records whose "step" is <= `step` (and drops a torn last line), atomically.
// Does nothing when the file does not exist.
void truncate_jsonl_after_step(const std::string& path, int64_t step);

}  // namespace softprompt::core
