#pragma once
// A token-level prompt template such as "{soft:20} {text} It was {mask}." parsed into segments (soft prompt
// vectors, input fields, literal text, the mask/answer slot). place() in core/placement.h turns a template and
// rows of field values into token ids, attention masks and the soft-prompt index map.
//
// Syntax: {soft:N} N soft prompt vectors; {soft:N:name} a named run (runs with the same name share the same
// vectors and must have the same N; unnamed runs each get new vectors); {mask} the answer position (at most
// once); {field} an input field (name: letters, digits, '_', not starting with a digit; "soft" and "mask"
// are reserved); "{{" and "}}" are literal braces; everything else is literal text.
#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::core {

struct Segment {
  enum class Kind { kSoft, kField, kLiteral, kMask };
  Kind kind = Kind::kLiteral;
  std::string text;         // literal: its text; field: the field name; soft: the run's name (may be empty)
  int64_t count = 0;        // soft: number of vectors
  int64_t first_index = 0;  // soft: index of its first vector within the row's prompt
};

// CoOp's class-token positions (Zhou et al. 2022, "Learning to Prompt for Vision-Language Models").
enum class ClassPosition { kFront, kMiddle, kEnd };

// A parsed prompt template. Every placement (prefix, suffix, infix, CoOp) is a template: one mechanism.
class Template {
 public:
  // Throws InputError naming the offending placeholder or brace.
  static Template parse(const std::string& text);
  // "{soft:N}{field}": Lester et al. 2021 prompt tuning.
  static Template prefix(int64_t num_soft, const std::string& field = "text");
  // "{field}{soft:N}".
  static Template suffix(int64_t num_soft, const std::string& field = "text");
  // "{a}{soft:N}{b}"; with split_at_marker() this is also the "prompt at a marker inside the text" placement.
  static Template infix(int64_t num_soft, const std::string& field_a = "text_a",
                        const std::string& field_b = "text_b");
  // CoOp: end "{soft:N} {class}.", middle "{soft:N/2} {class} {soft:N-N/2}.", front "{class} {soft:N}.".
  static Template class_token(int64_t num_soft, ClassPosition position, const std::string& field = "class");

  const std::vector<Segment>& segments() const { return segments_; }
  const std::string& text() const { return text_; }
  int64_t num_soft() const { return num_soft_; }  // distinct soft vectors per row (P)
  bool has_mask() const;
  std::vector<std::string> fields() const;  // distinct field names in order of appearance

 private:
  std::string text_;
  std::vector<Segment> segments_;
  int64_t num_soft_ = 0;
};

}  // namespace softprompt::core
