#include "core/template.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/errors.h"

namespace softprompt::core {
namespace {

constexpr int64_t kMaxSoft = 1 << 20;  // guards against typos like {soft:2000000000}

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

[[noreturn]] void fail(const std::string& text, const std::string& what) {
  throw InputError("template '" + text + "': " + what);
}

// "{soft:N}" / "{soft:N:name}" body (without braces) -> Segment.
Segment parse_soft(const std::string& text, const std::string& body) {
  const std::string bad = "malformed placeholder '{" + body + "}' (expected {soft:N} or {soft:N:name}, N >= 1)";
  const auto colon2 = body.find(':', 5);
  const std::string num = body.substr(5, colon2 == std::string::npos ? std::string::npos : colon2 - 5);
  if (num.empty() || num.size() > 7 || num.find_first_not_of("0123456789") != std::string::npos) fail(text, bad);
  Segment s;
  s.kind = Segment::Kind::kSoft;
  s.count = std::stoll(num);
  if (s.count < 1 || s.count > kMaxSoft) fail(text, bad);
  if (colon2 != std::string::npos) {
    s.text = body.substr(colon2 + 1);
    if (!is_identifier(s.text)) fail(text, bad);
  }
  return s;
}

Segment parse_placeholder(const std::string& text, const std::string& body) {
  if (body.rfind("soft:", 0) == 0) return parse_soft(text, body);
  Segment s;
  if (body == "mask") {
    s.kind = Segment::Kind::kMask;
    return s;
  }
  if (body == "soft" || !is_identifier(body))
    fail(text, "unknown placeholder '{" + body + "}' (expected {soft:N}, {soft:N:name}, {mask} or {field_name})");
  s.kind = Segment::Kind::kField;
  s.text = body;
  return s;
}

void append_literal(std::vector<Segment>& out, const std::string& literal) {
  if (literal.empty()) return;
  Segment s;
  s.text = literal;
  out.push_back(s);
}

// Named soft runs share their vectors; each unnamed run gets the next free indices.
int64_t assign_soft_indices(const std::string& text, std::vector<Segment>& segments) {
  std::map<std::string, const Segment*> named;
  int64_t next = 0;
  for (auto& s : segments) {
    if (s.kind != Segment::Kind::kSoft) continue;
    if (!s.text.empty()) {
      auto it = named.find(s.text);
      if (it != named.end()) {
        if (it->second->count != s.count)
          fail(text, "soft run '" + s.text + "' used with " + std::to_string(it->second->count) + " and " +
                         std::to_string(s.count) + " vectors");
        s.first_index = it->second->first_index;
        continue;
      }
      named[s.text] = &s;
    }
    s.first_index = next;
    next += s.count;
  }
  return next;
}

}  // namespace

Template Template::parse(const std::string& text) {
  Template t;
  t.text_ = text;
  std::string literal;
  int masks = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      literal += c;
      ++i;
      continue;
    }
    if (c == '}') fail(text, "unmatched '}' at offset " + std::to_string(i) + " (write '}}' for a brace)");
    if (c != '{') {
      literal += c;
      continue;
    }
    const auto close = text.find('}', i + 1);
    const auto reopen = text.find('{', i + 1);
    if (close == std::string::npos || (reopen != std::string::npos && reopen < close))
      fail(text, "unmatched '{' at offset " + std::to_string(i) + " (write '{{' for a brace)");
    append_literal(t.segments_, literal);
    literal.clear();
    t.segments_.push_back(parse_placeholder(text, text.substr(i + 1, close - i - 1)));
    if (t.segments_.back().kind == Segment::Kind::kMask && ++masks > 1) fail(text, "more than one {mask}");
    i = close;
  }
  append_literal(t.segments_, literal);
  t.num_soft_ = assign_soft_indices(text, t.segments_);
  return t;
}

Template Template::prefix(int64_t num_soft, const std::string& field) {
  return parse("{soft:" + std::to_string(num_soft) + "}{" + field + "}");
}

Template Template::suffix(int64_t num_soft, const std::string& field) {
  return parse("{" + field + "}{soft:" + std::to_string(num_soft) + "}");
}

Template Template::infix(int64_t num_soft, const std::string& field_a, const std::string& field_b) {
  return parse("{" + field_a + "}{soft:" + std::to_string(num_soft) + "}{" + field_b + "}");
}

Template Template::class_token(int64_t num_soft, ClassPosition position, const std::string& field) {
  const std::string cls = "{" + field + "}";
  const std::string n = std::to_string(num_soft);
  switch (position) {
    case ClassPosition::kFront:
      return parse(cls + " {soft:" + n + "}.");
    case ClassPosition::kMiddle: {
      if (num_soft < 2) throw InputError("class_token: middle position needs at least 2 soft vectors, got " + n);
      const int64_t half = num_soft / 2;
      return parse("{soft:" + std::to_string(half) + "} " + cls + " {soft:" + std::to_string(num_soft - half) +
                   "}.");
    }
    case ClassPosition::kEnd:
      break;
  }
  return parse("{soft:" + n + "} " + cls + ".");
}

bool Template::has_mask() const {
  return std::any_of(segments_.begin(), segments_.end(),
                     [](const Segment& s) { return s.kind == Segment::Kind::kMask; });
}

std::vector<std::string> Template::fields() const {
  std::vector<std::string> out;
  for (const auto& s : segments_)
    if (s.kind == Segment::Kind::kField && std::find(out.begin(), out.end(), s.text) == out.end())
      out.push_back(s.text);
  return out;
}

}  // namespace softprompt::core
