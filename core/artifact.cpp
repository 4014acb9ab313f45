#include "core/artifact.h"

#include <ATen/ATen.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>

#include "core/errors.h"
#include "core/io/atomic_file.h"
#include "core/slots.h"

namespace softprompt::core {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSaveIdKey = "softprompt.save_id";
constexpr const char* kManifestKey = "softprompt.manifest";
constexpr const char* kFormatKey = "format";

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

std::function<void(const std::string&)> warner(const LoadOptions& options) {
  if (options.warn) return options.warn;
  return [](const std::string& msg) { std::cerr << "warning: " << msg << "\n"; };
}

void validate_for_save(const Manifest& m, const io::TensorMap& tensors, const std::string& label) {
  if (m.method.empty()) throw InputError(label + ": cannot save an artifact without a method");
  if (tensors.empty()) throw InputError(label + ": cannot save an artifact without tensors");
  for (const auto& s : m.slots) {
    try {
      parse_slot(s);
    } catch (const std::invalid_argument& e) {
      throw InputError(label + ": " + e.what());
    }
  }
  for (const auto& [name, t] : tensors) {
    if (name.empty()) throw InputError(label + ": a tensor has an empty name");
    if (!t.defined()) throw InputError(label + ": tensor '" + name + "' is undefined");
  }
}

}  // namespace

ArtifactPaths artifact_paths(const std::string& path) {
  std::string stem = path;
  for (const std::string ext : {".json", ".safetensors"}) {
    if (stem.size() >= ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0) {
      stem.resize(stem.size() - ext.size());
      break;
    }
  }
  if (stem.empty() || fs::path(stem).filename().empty())
    throw InputError("'" + path +
                     "' does not name an artifact (expected NAME, NAME.json or NAME.safetensors)");
  return {stem, stem + ".json", stem + ".safetensors", stem + ".config.yaml"};
}

Manifest save_artifact(const std::string& path, const io::TensorMap& tensors, Manifest m,
                       const SaveOptions& options) {
  const ArtifactPaths p = artifact_paths(path);
  validate_for_save(m, tensors, p.manifest);
  m.format_version = kArtifactFormatVersion;
  m.softprompt_version = kSoftpromptVersion;
  if (m.created_at.empty()) m.created_at = utc_now();
  m.save_id = random_id();
  m.tensors.clear();
  for (const auto& [name, t] : tensors)
    m.tensors[name] = {io::safetensors_dtype(t.scalar_type()), t.sizes().vec()};
  m.tensors_file = fs::path(p.tensors).filename().string();
  m.config_file = options.config_yaml.empty() ? "" : fs::path(p.config).filename().string();

  // Serialize everything first: a failure here (a bad dtype, a device error) touches no file.
  std::vector<std::pair<std::string, std::string>> files;
  const std::string manifest_text = manifest_to_json(m).dump(2) + "\n";
  // The tensor file embeds its own manifest, so it stays usable whatever happens to the .json beside it.
  files.emplace_back(p.tensors, io::serialize_safetensors(tensors, {{kFormatKey, kArtifactFormat},
                                                                    {kSaveIdKey, m.save_id},
                                                                    {kManifestKey, manifest_text}}));
  if (!options.config_yaml.empty()) files.emplace_back(p.config, options.config_yaml);
  // The manifest is published last: a crash before its rename leaves the old manifest, which the new
  // tensors' save_id then contradicts (refused on load), never a manifest describing missing tensors.
  files.emplace_back(p.manifest, manifest_text);
  io::write_files_atomically(files);
  return m;
}

Manifest load_manifest(const std::string& path) {
  const ArtifactPaths p = artifact_paths(path);
  if (!fs::exists(p.manifest)) throw IoError("artifact manifest '" + p.manifest + "' does not exist");
  return manifest_from_text(io::read_file(p.manifest), p.manifest);
}

void check_backbone(const Manifest& m, const std::string& label, const LoadOptions& options) {
  if (options.backbone_hash.empty()) return;
  const auto warn = warner(options);
  const std::string loaded = "'" + (options.backbone_id.empty() ? std::string("?") : options.backbone_id) +
                             "' (weights hash " + options.backbone_hash + ")";
  if (m.backbone.weights_hash.empty()) {
    warn(label + ": the artifact records no backbone weights hash; cannot check that it belongs to " +
         loaded);
    return;
  }
  if (m.backbone.weights_hash == options.backbone_hash) return;
  const std::string msg = label + ": the prompt was trained on backbone '" + m.backbone.id +
                          "' (weights hash " + m.backbone.weights_hash + ") but the loaded backbone is " +
                          loaded;
  if (options.on_mismatch == BackboneMismatch::kError)
    throw InputError(msg + "; use the matching backbone or allow the mismatch explicitly");
  warn(msg);
}

Artifact load_artifact(const std::string& path, const LoadOptions& options) {
  Artifact a;
  a.paths = artifact_paths(path);
  const auto& p = a.paths;
  const bool has_manifest = fs::exists(p.manifest);
  if (!has_manifest && !fs::exists(p.tensors))
    throw IoError("no artifact at '" + p.stem + "' (neither '" + p.manifest + "' nor '" + p.tensors +
                  "' exists)");
  if (!fs::exists(p.tensors))
    throw IoError("artifact tensors '" + p.tensors + "' do not exist (manifest '" + p.manifest + "')");
  const io::SafetensorsFile file(p.tensors);
  const auto& meta = file.metadata();
  const auto id = meta.find(kSaveIdKey);
  const std::string file_id = id == meta.end() ? "" : id->second;
  // The manifest the tensor file carries (parsed only when the .json cannot be used).
  auto embedded = [&]() -> std::optional<Manifest> {
    const auto it = meta.find(kManifestKey);
    if (it == meta.end()) return std::nullopt;
    Manifest m = manifest_from_text(it->second, p.tensors + " (embedded manifest)");
    return m.save_id == file_id ? std::optional<Manifest>(m) : std::nullopt;
  };
  const auto warn = warner(options);
  if (has_manifest) {
    a.manifest = manifest_from_text(io::read_file(p.manifest), p.manifest);
    if (a.manifest.save_id != file_id) {
      // A crash between the renames of a save leaves the new tensors beside the old .json.
      const auto own = embedded();
      if (!own)
        throw InputError("'" + p.manifest + "' and '" + p.tensors +
                         "' are not from the same save (save_id '" + a.manifest.save_id + "' vs '" + file_id +
                         "') and the tensors carry no manifest");
      warn("'" + p.manifest + "' is stale (save_id " + a.manifest.save_id + ", tensors " + file_id +
           ": an interrupted save or files from two runs); using the manifest stored in '" + p.tensors + "'");
      a.manifest = *own;
    }
  } else {
    const auto own = embedded();
    if (!own) throw IoError("artifact manifest '" + p.manifest + "' does not exist");
    warn("'" + p.manifest + "' is missing (an interrupted first save?); using the manifest stored in '" +
         p.tensors + "'");
    a.manifest = *own;
  }
  for (const auto& [name, spec] : a.manifest.tensors) {
    if (!file.contains(name))
      throw InputError("'" + p.tensors + "': tensor '" + name + "' named by the manifest is missing");
    const auto& info = file.info(name);
    const TensorSpec found{info.dtype, info.shape};
    if (!(found == spec))
      throw InputError("'" + p.tensors + "': tensor '" + name + "' is " + found.dtype + " " +
                       c10::str(c10::IntArrayRef(found.shape)) + ", the manifest says " + spec.dtype + " " +
                       c10::str(c10::IntArrayRef(spec.shape)));
  }
  for (const auto& info : file.infos())
    if (!a.manifest.tensors.count(info.name))
      throw InputError("'" + p.tensors + "': tensor '" + info.name + "' is not named by the manifest");
  check_backbone(a.manifest, p.manifest, options);
  // The mapping is read-only and shared; prompts are trained and edited in place, so own the memory.
  for (const auto& [name, t] : file.tensors()) a.tensors[name] = t.clone();
  return a;
}

}  // namespace softprompt::core
