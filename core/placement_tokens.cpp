// Token-level placement: place() and split_at_marker() (declared in core/placement.h).
#include <torch/torch.h>

#include <algorithm>
#include <cctype>

#include "core/errors.h"
#include "core/placement.h"

namespace softprompt::core {
namespace {

// One template segment after the whitespace rule, with its literal already tokenized.
struct Item {
  Segment::Kind kind;
  std::string field;            // kField: its name
  std::string field_prefix;     // kField: whitespace moved in from the literal before it
  std::vector<int64_t> ids;     // kLiteral: its tokens
  int64_t first = 0, count = 0; // kSoft
};

bool is_placeholder(Segment::Kind k) { return k != Segment::Kind::kLiteral; }

// Applies PlaceOptions::move_spaces, drops everything from {mask} on in a causal row, tokenizes literals once.
std::vector<Item> plan(const Template& tmpl, const Tokenize& tokenize, const PlaceOptions& options) {
  const auto& segs = tmpl.segments();
  std::vector<Item> items;
  std::string carried;  // whitespace moving into the next placeholder
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& s = segs[i];
    if (s.kind == Segment::Kind::kMask && options.causal) break;
    Item item{s.kind, {}, {}, {}, s.first_index, s.count};
    if (s.kind == Segment::Kind::kLiteral) {
      std::string text = s.text;
      if (options.move_spaces && i + 1 < segs.size() && is_placeholder(segs[i + 1].kind)) {
        size_t end = text.size();
        while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
        carried = text.substr(end);
        text.resize(end);
      }
      if (!text.empty()) {
        item.ids = tokenize(text);
        items.push_back(std::move(item));
      }
      continue;  // `carried` waits for the placeholder that follows
    }
    if (s.kind == Segment::Kind::kField) {
      item.field = s.text;
      item.field_prefix = carried;
    }
    carried.clear();
    items.push_back(std::move(item));
  }
  return items;
}

std::string truncation_field(const Template& tmpl, const PlaceOptions& options) {
  if (!options.truncate_field.empty()) {
    const auto fields = tmpl.fields();
    if (std::find(fields.begin(), fields.end(), options.truncate_field) == fields.end())
      throw InputError("truncate_field '" + options.truncate_field + "' is not a field of template '" +
                       tmpl.text() + "'");
    return options.truncate_field;
  }
  const auto fields = tmpl.fields();
  return fields.size() == 1 ? fields[0] : std::string();
}

int64_t row_length(const std::vector<Item>& items, const PlaceOptions& options, bool with_eos) {
  int64_t n = static_cast<int64_t>(options.bos_ids.size()) + (with_eos ? options.eos_ids.size() : 0);
  for (const auto& it : items) n += it.kind == Segment::Kind::kSoft ? it.count
                                    : it.kind == Segment::Kind::kMask ? 1
                                                                      : static_cast<int64_t>(it.ids.size());
  return n;
}

// Cuts `field` from its end (last occurrence first) until the row fits.
void truncate_row(std::vector<Item>& items, const std::string& field, int64_t excess, size_t row,
                  int64_t max_length) {
  for (auto it = items.rbegin(); it != items.rend() && excess > 0 && !field.empty(); ++it) {
    if (it->kind != Segment::Kind::kField || it->field != field) continue;
    const int64_t cut = std::min<int64_t>(excess, it->ids.size());
    it->ids.resize(it->ids.size() - cut);
    excess -= cut;
  }
  if (excess > 0)
    throw InputError("row " + std::to_string(row) + " does not fit max_length " + std::to_string(max_length) +
                     (field.empty() ? " and no truncate_field is set"
                                    : " even with field '" + field + "' cut to nothing") +
                     " (" + std::to_string(excess) + " tokens too many)");
}

// Flattens a row into ids / soft index; returns {mask position or -1}.
int64_t flatten(const std::vector<Item>& items, const PlaceOptions& options, bool with_eos,
                std::vector<int64_t>& ids, std::vector<int64_t>& soft) {
  int64_t mask_pos = -1;
  auto push = [&](int64_t id, int64_t k) { ids.push_back(id); soft.push_back(k); };
  for (int64_t id : options.bos_ids) push(id, -1);
  for (const auto& it : items) {
    if (it.kind == Segment::Kind::kSoft) {
      for (int64_t k = 0; k < it.count; ++k) push(options.pad_id, it.first + k);
    } else if (it.kind == Segment::Kind::kMask) {
      mask_pos = static_cast<int64_t>(ids.size());
      push(options.mask_id >= 0 ? options.mask_id : options.pad_id, -1);
    } else {
      for (int64_t id : it.ids) push(id, -1);
    }
  }
  if (with_eos)
    for (int64_t id : options.eos_ids) push(id, -1);
  return mask_pos;
}

}  // namespace

PlacedBatch place(const Template& tmpl, const std::vector<TemplateRow>& rows, const Tokenize& tokenize,
                  const PlaceOptions& options) {
  if (options.max_length < 0) throw InputError("max_length must be >= 0, got " + std::to_string(options.max_length));
  if (options.pad_to_max_length && options.max_length == 0)
    throw InputError("pad_to_max_length needs max_length > 0");
  const std::vector<Item> base = plan(tmpl, tokenize, options);
  const std::string cut_field = truncation_field(tmpl, options);
  const bool has_mask = tmpl.has_mask();
  const bool with_eos = !(options.causal && has_mask);  // a causal row ends right before {mask}

  const size_t B = rows.size();
  std::vector<std::vector<int64_t>> ids(B), soft(B);
  std::vector<int64_t> mask_pos(B);
  int64_t T = 0;
  for (size_t r = 0; r < B; ++r) {
    std::vector<Item> items = base;
    for (auto& it : items) {
      if (it.kind != Segment::Kind::kField) continue;
      const auto f = rows[r].find(it.field);
      if (f == rows[r].end()) throw InputError("row " + std::to_string(r) + " has no field '" + it.field + "'");
      if (!f->second.empty()) it.ids = tokenize(it.field_prefix + f->second);
    }
    const int64_t length = row_length(items, options, with_eos);
    if (options.max_length > 0 && length > options.max_length)
      truncate_row(items, cut_field, length - options.max_length, r, options.max_length);
    mask_pos[r] = flatten(items, options, with_eos, ids[r], soft[r]);
    if (ids[r].empty())
      throw InputError("row " + std::to_string(r) + " is empty" + (options.causal && has_mask
                                                                       ? " (nothing before {mask} to read from)"
                                                                       : ""));
    T = std::max<int64_t>(T, ids[r].size());
  }
  if (options.pad_to_max_length) T = options.max_length;

  const int64_t Bn = static_cast<int64_t>(B);
  PlacedBatch out;
  out.num_soft = tmpl.num_soft();
  out.input_ids = at::full({Bn, T}, options.pad_id, at::kLong);
  out.attention_mask = at::zeros({Bn, T}, at::kLong);
  out.soft_index = at::full({Bn, T}, -1, at::kLong);
  out.read_position = at::empty({Bn}, at::kLong);
  out.mask_position = at::full({Bn}, -1, at::kLong);
  auto id_a = out.input_ids.accessor<int64_t, 2>();
  auto mask_a = out.attention_mask.accessor<int64_t, 2>();
  auto soft_a = out.soft_index.accessor<int64_t, 2>();
  auto read_a = out.read_position.accessor<int64_t, 1>();
  auto mpos_a = out.mask_position.accessor<int64_t, 1>();
  for (int64_t r = 0; r < Bn; ++r) {
    const int64_t n = static_cast<int64_t>(ids[r].size());
    const int64_t shift = options.padding_side == PaddingSide::kLeft ? T - n : 0;
    for (int64_t t = 0; t < n; ++t) {
      id_a[r][shift + t] = ids[r][t];
      mask_a[r][shift + t] = 1;
      soft_a[r][shift + t] = soft[r][t];
    }
    const bool read_mask = !options.causal && mask_pos[r] >= 0;
    read_a[r] = shift + (read_mask ? mask_pos[r] : n - 1);
    if (mask_pos[r] >= 0) mpos_a[r] = shift + mask_pos[r];
  }
  out.position_ids = position_ids_from_mask(out.attention_mask);
  return out;
}

std::vector<TemplateRow> split_at_marker(const std::vector<TemplateRow>& rows, const std::string& field,
                                         const std::string& marker, const std::string& field_a,
                                         const std::string& field_b) {
  if (marker.empty()) throw InputError("split_at_marker: empty marker");
  std::vector<TemplateRow> out;
  out.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto f = rows[r].find(field);
    if (f == rows[r].end()) throw InputError("row " + std::to_string(r) + " has no field '" + field + "'");
    const auto at = f->second.find(marker);
    if (at == std::string::npos)
      throw InputError("row " + std::to_string(r) + ": field '" + field + "' has no marker '" + marker + "'");
    TemplateRow row = rows[r];
    row.erase(field);
    row[field_a] = f->second.substr(0, at);
    row[field_b] = f->second.substr(at + marker.size());
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace softprompt::core
