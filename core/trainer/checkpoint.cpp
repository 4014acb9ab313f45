#include "core/trainer/checkpoint.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.h"
#include "core/io/atomic_file.h"

namespace softprompt::core::trainer {
namespace {

using nlohmann::json;
constexpr const char* kFormat = "softprompt.checkpoint";
constexpr const char* kVersion = "1";

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double number(const json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

json history_to_json(const History& h) {
  json train = json::array(), eval = json::array();
  for (const auto& p : h.train)
    train.push_back({{"step", p.step},
                     {"epoch", number(p.epoch)},
                     {"loss", number(p.loss)},
                     {"lr", number(p.lr)},
                     {"grad_norm", number(p.grad_norm)}});
  for (const auto& p : h.eval) {
    json m = json::object();
    for (const auto& [k, v] : p.metrics) m[k] = number(v);
    eval.push_back({{"step", p.step}, {"epoch", number(p.epoch)}, {"metrics", m}});
  }
  return {{"train", train}, {"eval", eval}};
}

History history_from_json(const json& j) {
  History h;
  for (const auto& p : j.at("train"))
    h.train.push_back({p.at("step").get<int64_t>(), number(p.at("epoch")), number(p.at("loss")),
                       number(p.at("lr")), number(p.at("grad_norm"))});
  for (const auto& p : j.at("eval")) {
    EvalPoint e{p.at("step").get<int64_t>(), number(p.at("epoch")), {}};
    for (const auto& [k, v] : p.at("metrics").items()) e.metrics[k] = number(v);
    h.eval.push_back(std::move(e));
  }
  return h;
}

at::Tensor bytes_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_bytes(const at::Tensor& t) {
  auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

// Splits "prefix/name" keys of a checkpoint back into their maps.
bool strip_prefix(const std::string& key, const std::string& prefix, std::string* rest) {
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  *rest = key.substr(prefix.size());
  return true;
}

}  // namespace

std::string trainer_state_to_json(const TrainerState& s) {
  json j = {{"step", s.step},
            {"epoch", s.epoch},
            {"batch_in_epoch", s.batch_in_epoch},
            {"elapsed_s", s.elapsed_s},
            {"loss_sum", s.loss_sum},
            {"loss_count", s.loss_count},
            {"has_best", s.has_best},
            {"best_metric", number(s.best_metric)},
            {"best_step", s.best_step},
            {"bad_evals", s.bad_evals},
            {"seed", s.seed},
            {"batch_size", s.batch_size},
            {"train_size", s.train_size},
            {"drop_last", s.drop_last},
            {"optimizer", s.optimizer},
            {"history", history_to_json(s.history)}};
  return j.dump();
}

TrainerState trainer_state_from_json(const std::string& text, const std::string& label) {
  try {
    const json j = json::parse(text);
    TrainerState s;
    s.step = j.at("step").get<int64_t>();
    s.epoch = j.at("epoch").get<int64_t>();
    s.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
    s.elapsed_s = j.at("elapsed_s").get<double>();
    s.loss_sum = j.at("loss_sum").get<double>();
    s.loss_count = j.at("loss_count").get<int64_t>();
    s.has_best = j.at("has_best").get<bool>();
    s.best_metric = number(j.at("best_metric"));
    s.best_step = j.at("best_step").get<int64_t>();
    s.bad_evals = j.at("bad_evals").get<int64_t>();
    s.seed = j.at("seed").get<uint64_t>();
    s.batch_size = j.at("batch_size").get<int64_t>();
    s.train_size = j.at("train_size").get<int64_t>();
    s.drop_last = j.at("drop_last").get<bool>();
    s.optimizer = j.at("optimizer").get<std::string>();
    s.history = history_from_json(j.at("history"));
    if (s.step < 0 || s.epoch < 0 || s.batch_in_epoch < 0) throw InputError("negative step or data position");
    return s;
  } catch (const json::exception& e) {
    throw InputError(label + ": invalid trainer state: " + e.what());
  } catch (const InputError& e) {
    throw InputError(label + ": invalid trainer state: " + e.what());
  }
}

std::string serialize_checkpoint(const Checkpoint& c) {
  TensorMap tensors;
  for (const auto& [name, t] : c.trainable) tensors["trainable/" + name] = t.detach();
  for (const auto& [name, t] : c.best) tensors["best/" + name] = t.detach();
  tensors["optimizer"] = bytes_tensor(c.optimizer_state);
  for (size_t i = 0; i < c.rng_state.size(); ++i) tensors["rng/" + std::to_string(i)] = c.rng_state[i];
  return core::io::serialize_safetensors(
      tensors,
      {{"format", kFormat}, {"version", kVersion}, {"trainer_state", trainer_state_to_json(c.state)}});
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  core::io::write_file_atomically(path, serialize_checkpoint(checkpoint));
}

Checkpoint load_checkpoint(const std::string& path) {
  core::io::SafetensorsFile file(path);
  const auto& meta = file.metadata();
  auto format = meta.find("format");
  if (format == meta.end() || format->second != kFormat)
    throw InputError("'" + path + "' is not a softprompt training checkpoint (metadata format != " + kFormat +
                     ")");
  if (meta.count("version") == 0 || meta.at("version") != kVersion)
    throw InputError("'" + path + "': unsupported checkpoint version (expected " + kVersion + ")");
  if (meta.count("trainer_state") == 0) throw InputError("'" + path + "': no trainer_state in the metadata");
  Checkpoint c;
  c.state = trainer_state_from_json(meta.at("trainer_state"), "'" + path + "'");
  if (!file.contains("optimizer")) throw InputError("'" + path + "': no optimizer state");
  std::map<int64_t, at::Tensor> rng;
  for (const auto& [key, t] : file.tensors()) {
    std::string name;
    if (strip_prefix(key, "trainable/", &name)) {
      c.trainable[name] = t.clone();
    } else if (strip_prefix(key, "best/", &name)) {
      c.best[name] = t.clone();
    } else if (key == "optimizer") {
      if (t.scalar_type() != at::kByte || t.dim() != 1)
        throw InputError("'" + path + "': optimizer is not U8 bytes");
      c.optimizer_state = tensor_bytes(t);
    } else if (strip_prefix(key, "rng/", &name) && t.scalar_type() == at::kByte &&
               name.find_first_not_of("0123456789") == std::string::npos && !name.empty() &&
               name.size() < 4) {
      rng[std::stoll(name)] = t.clone();
    } else {
      throw InputError("'" + path + "': unexpected tensor '" + key + "' in a checkpoint");
    }
  }
  for (int64_t i = 0; i < static_cast<int64_t>(rng.size()); ++i) {
    if (rng.count(i) == 0)
      throw InputError("'" + path + "': random generator state rng/" + std::to_string(i) + " missing");
    c.rng_state.push_back(rng[i]);
  }
  return c;
}

void copy_tensors_into(const TensorMap& target, const TensorMap& source, const std::string& label) {
  for (const auto& [name, t] : source)
    if (target.count(name) == 0) throw InputError(label + ": unexpected tensor '" + name + "'");
  for (const auto& [name, t] : target) {
    auto it = source.find(name);
    if (it == source.end()) throw InputError(label + ": missing tensor '" + name + "'");
    if (it->second.sizes() != t.sizes()) {
      std::ostringstream os;
      os << label << ": tensor '" << name << "' has shape " << it->second.sizes() << ", expected "
         << t.sizes();
      throw InputError(os.str());
    }
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : target) {
    auto dst = t;  // shares storage: copy_ writes into the trainable tensor itself
    dst.copy_(source.at(name));
  }
}

TensorMap clone_tensors(const TensorMap& tensors) {
  TensorMap out;
  for (const auto& [name, t] : tensors) out[name] = t.detach().clone();
  return out;
}

}  // namespace softprompt::core::trainer
