#include "modalities/vision/image_dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/errors.h"
#include "modalities/vision/image_io.h"

namespace softprompt::modalities::vision {
namespace fs = std::filesystem;
namespace {

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> kExt{".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"};
  return kExt.count(ext) > 0;
}

// One CSV line -> fields; "..." quoting with "" as an escaped quote. Returns false on an unbalanced quote.
bool split_csv(const std::string& line, std::vector<std::string>* fields) {
  fields->assign(1, "");
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields->back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields->back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->emplace_back();
    } else {
      fields->back() += c;
    }
  }
  return !quoted;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parse_label(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoll(s);
  return true;
}

}  // namespace

ImageList list_image_folder(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw IoError("image folder '" + root + "' is not a directory");
  ImageList out;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory()) out.classes.push_back(e.path().filename().string());
  if (ec) throw IoError("cannot list '" + root + "': " + ec.message());
  std::sort(out.classes.begin(), out.classes.end());
  if (out.classes.empty()) throw InputError("image folder '" + root + "' has no class sub-directories");
  for (size_t label = 0; label < out.classes.size(); ++label) {
    const fs::path dir = fs::path(root) / out.classes[label];
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path().string());
    if (files.empty()) throw InputError("class folder '" + dir.string() + "' holds no images");
    std::sort(files.begin(), files.end());
    for (auto& f : files) out.items.push_back({std::move(f), static_cast<int64_t>(label)});
  }
  return out;
}

ImageList read_image_csv(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) throw IoError("cannot open '" + csv_path + "'");
  const fs::path base = fs::path(csv_path).parent_path();
  std::vector<std::pair<std::string, std::string>> rows;
  std::string line;
  std::vector<std::string> f;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    const auto where = csv_path + ":" + std::to_string(n);
    if (trim(line).empty()) continue;
    if (!split_csv(line, &f)) throw InputError(where + ": unbalanced quote");
    if (f.size() != 2) throw InputError(where + ": expected 2 fields (path,label), found " + std::to_string(f.size()));
    const auto path = trim(f[0]), label = trim(f[1]);
    if (rows.empty() && n == 1 && path == "path" && label == "label") continue;  // header
    if (path.empty() || label.empty()) throw InputError(where + ": empty path or label");
    const fs::path p(path);
    rows.emplace_back(p.is_absolute() ? p.string() : (base / p).string(), label);
  }
  if (rows.empty()) throw InputError("'" + csv_path + "' lists no images");
  ImageList out;
  int64_t v = 0;
  const bool numeric = std::all_of(rows.begin(), rows.end(), [&](const auto& r) { return parse_label(r.second, &v); });
  std::map<std::string, int64_t> ids;
  if (!numeric) {
    for (const auto& r : rows) ids[r.second] = 0;
    for (auto& [name, id] : ids) {
      id = static_cast<int64_t>(out.classes.size());
      out.classes.push_back(name);
    }
  }
  for (const auto& [path, label] : rows) {
    if (numeric) parse_label(label, &v);
    out.items.push_back({path, numeric ? v : ids.at(label)});
  }
  return out;
}

LoadedImages load_images(const ImageList& list, const ImageTransform& transform, OnBadImage on_bad) {
  std::vector<at::Tensor> images;
  std::vector<int64_t> labels;
  LoadedImages out;
  for (const auto& item : list.items) {
    at::Tensor rgb;
    try {
      rgb = read_image_rgb(item.path);
    } catch (const std::exception& e) {  // IoError (unreadable) or InputError (not an image)
      if (on_bad == OnBadImage::kThrow) throw InputError(e.what());
      out.skipped.push_back(e.what());
      continue;
    }
    images.push_back(transform(rgb));
    labels.push_back(item.label);
  }
  if (images.empty())
    throw InputError("no readable images (" + std::to_string(out.skipped.size()) + " skipped" +
                     (out.skipped.empty() ? ")" : ", first: " + out.skipped.front() + ")"));
  out.images = torch::stack(images);
  out.labels = torch::tensor(labels, torch::kLong);
  return out;
}

}  // namespace softprompt::modalities::vision
