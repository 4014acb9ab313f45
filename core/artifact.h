#pragma once
// Prompt artifacts: a trained prompt is `<name>.safetensors` (only the trainable tensors) plus `<name>.json`
// (the Manifest, core/artifact_manifest.h), and optionally `<name>.config.yaml` (the resolved recipe config).
//
// Saving publishes every file atomically and together (core/io/atomic_file.h): a save that fails leaves the
// previous artifact intact and no temporary files. Both files carry the same random save_id, and the tensor
// file also embeds its manifest (safetensors metadata "softprompt.save_id", "softprompt.manifest"), renamed
// into place before the .json. So a process killed between the renames leaves new tensors beside a stale
// .json: load notices the save_id mismatch and uses the tensor file's own manifest (with a warning); tensors
// and metadata of two saves are never mixed.
//
// Loading validates everything before returning: the format and version, that every tensor the manifest
// names exists with the dtype and shape it states (and no other), the save_id pairing, and the backbone's
// weights hash against the backbone the caller loaded (an error by default; a warning when asked).
#include <functional>
#include <string>

#include "core/artifact_manifest.h"
#include "core/io/safetensors.h"

namespace softprompt::core {

// The files of the artifact at `path`, which may be the stem ("out/sst2") or either file's path.
struct ArtifactPaths {
  std::string stem;
  std::string manifest;  // <stem>.json
  std::string tensors;   // <stem>.safetensors
  std::string config;    // <stem>.config.yaml
};
ArtifactPaths artifact_paths(const std::string& path);

struct SaveOptions {
  std::string config_yaml;  // when not empty, written as <stem>.config.yaml in the same atomic publish
};

// Saves `tensors` (any device and float dtype; written as stored) with `manifest`. Fills the manifest's
// tensors, save_id, file names, softprompt_version and created_at (when empty), and returns it. Throws
// InputError for an invalid manifest (no method, bad slot names, no tensors) before writing anything.
Manifest save_artifact(const std::string& path, const io::TensorMap& tensors, Manifest manifest,
                       const SaveOptions& options = {});

enum class BackboneMismatch { kError, kWarn };

struct LoadOptions {
  // The weights hash of the backbone the prompt is about to be used with ("" = do not check) and its id (for
  // messages).
  std::string backbone_hash;
  std::string backbone_id;
  BackboneMismatch on_mismatch = BackboneMismatch::kError;
  std::function<void(const std::string&)> warn;  // default: "warning: ..." on stderr
};

struct Artifact {
  Manifest manifest;
  io::TensorMap tensors;  // CPU, owned (safe to train in place), dtypes as stored
  ArtifactPaths paths;
};

// Throws IoError (a file cannot be read) or InputError (malformed, inconsistent, or for another backbone),
// naming the file and the problem. A stale or missing .json beside a tensor file with an embedded manifest is
// recovered from that manifest, with a warning through options.warn.
Artifact load_artifact(const std::string& path, const LoadOptions& options = {});
// The .json manifest alone (no tensors read, no backbone check, no recovery of a stale .json).
Manifest load_manifest(const std::string& path);

// The backbone check of load_artifact, for callers that load the manifest first. `label` names the artifact.
void check_backbone(const Manifest& manifest, const std::string& label, const LoadOptions& options);

}  // namespace softprompt::core
