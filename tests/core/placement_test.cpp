// Templates and placement: every placement x padding side x causal/bidirectional over rows of different
// lengths; truncation; parse errors; embedding-level insert/scatter/replace values and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "core/errors.h"
#include "core/io/safetensors.h"
#include "core/placement.h"
#include "core/template.h"

using namespace softprompt;
using namespace softprompt::core;

namespace {

// A toy tokenizer with GPT-2's convention: a word keeps its leading space (" It" != "It"), a run of spaces
// not followed by a word is one token per space. Ids are assigned on first sight; 0..9 are reserved.
struct ToyVocab {
  std::map<std::string, int64_t> ids;
  std::vector<std::string> tokens = std::vector<std::string>(10, "<reserved>");
  int64_t id(const std::string& t) {
    auto it = ids.find(t);
    if (it != ids.end()) return it->second;
    ids[t] = static_cast<int64_t>(tokens.size());
    tokens.push_back(t);
    return ids[t];
  }
  std::vector<int64_t> operator()(const std::string& s) {
    std::vector<int64_t> out;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = i;
      if (s[j] == ' ' && j + 1 < s.size() && s[j + 1] != ' ') ++j;
      if (s[j] == ' ') {
        out.push_back(id(" "));
        i = j + 1;
        continue;
      }
      while (j < s.size() && s[j] != ' ') ++j;
      out.push_back(id(s.substr(i, j - i)));
      i = j;
    }
    return out;
  }
};

constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kMaskId = 3;

// Expected unpadded row: tokens separated by '|'; "<sK>" = soft vector K, "<mask>", "<bos>", "<eos>".
struct Expected {
  std::vector<int64_t> ids, soft;
  int64_t mask_pos = -1;
};
Expected expect(ToyVocab& v, const std::string& spec) {
  Expected e;
  std::stringstream ss(spec);
  std::string tok;
  while (std::getline(ss, tok, '|')) {
    int64_t id = -1, soft = -1;
    if (tok.rfind("<s", 0) == 0 && tok.size() > 3 && std::isdigit(tok[2])) {
      soft = std::stoll(tok.substr(2));
      id = kPad;
    } else if (tok == "<mask>") {
      e.mask_pos = static_cast<int64_t>(e.ids.size());
      id = kMaskId;
    } else if (tok == "<bos>") {
      id = kBos;
    } else if (tok == "<eos>") {
      id = kEos;
    } else {
      id = v.id(tok);
    }
    e.ids.push_back(id);
    e.soft.push_back(soft);
  }
  return e;
}

// Checks every tensor of a PlacedBatch against the expected unpadded rows.
void check_batch(const PlacedBatch& b, const std::vector<Expected>& rows, const PlaceOptions& o,
                 const std::string& label) {
  SCOPED_TRACE(label);
  int64_t T = 0;
  for (const auto& r : rows) T = std::max<int64_t>(T, r.ids.size());
  if (o.pad_to_max_length) T = o.max_length;
  ASSERT_EQ(b.input_ids.sizes(), (std::vector<int64_t>{(int64_t)rows.size(), T}));
  for (size_t r = 0; r < rows.size(); ++r) {
    const int64_t n = rows[r].ids.size();
    const int64_t shift = o.padding_side == PaddingSide::kLeft ? T - n : 0;
    for (int64_t t = 0; t < T; ++t) {
      const bool real = t >= shift && t < shift + n;
      const int64_t k = t - shift;
      EXPECT_EQ(b.input_ids[r][t].item<int64_t>(), real ? rows[r].ids[k] : kPad) << "row " << r << " t " << t;
      EXPECT_EQ(b.attention_mask[r][t].item<int64_t>(), real ? 1 : 0) << "row " << r << " t " << t;
      EXPECT_EQ(b.soft_index[r][t].item<int64_t>(), real ? rows[r].soft[k] : -1) << "row " << r << " t " << t;
      EXPECT_EQ(b.position_ids[r][t].item<int64_t>(), real ? k : 1) << "row " << r << " t " << t;
    }
    const int64_t read = (!o.causal && rows[r].mask_pos >= 0) ? rows[r].mask_pos : n - 1;
    EXPECT_EQ(b.read_position[r].item<int64_t>(), shift + read) << "row " << r;
    EXPECT_EQ(b.mask_position[r].item<int64_t>(), rows[r].mask_pos >= 0 ? shift + rows[r].mask_pos : -1);
  }
}

const std::vector<TemplateRow> kRows = {{{"text", "hello"}, {"text_a", "a"}, {"text_b", "b c"}},
                                        {{"text", "the cat sat"}, {"text_a", "one two three"}, {"text_b", "x"}},
                                        {{"text", "x y"}, {"text_a", "p"}, {"text_b", "q"}}};

}  // namespace

TEST(Placement, PositionIdsFollowMaskLikeFixtureGpt2LeftPad) {
  io::SafetensorsFile f(std::string(SOFTPROMPT_TEST_FIXTURES) + "/gpt2/io_left_pad.safetensors");
  const at::Tensor got = position_ids_from_mask(f.tensor("attention_mask"));
  EXPECT_TRUE(got.equal(f.tensor("position_ids"))) << got;
  // Right padding keeps 0..n-1; a masked hole (padded per-sample prompt) is skipped.
  const at::Tensor m = torch::tensor({1, 1, 0, 0, 1, 1}, at::kLong).view({1, 6});
  EXPECT_TRUE(position_ids_from_mask(m).equal(torch::tensor({0, 1, 1, 1, 2, 3}, at::kLong).view({1, 6})));
  EXPECT_THROW(position_ids_from_mask(torch::ones({3}, at::kLong)), c10::Error);
}

TEST(Template, ParsesSegmentsAndSharedNamedRuns) {
  const Template t = Template::parse("{soft:20} {text} It was {mask}.");
  ASSERT_EQ(t.segments().size(), 6u);
  EXPECT_EQ(t.segments()[0].kind, Segment::Kind::kSoft);
  EXPECT_EQ(t.segments()[0].count, 20);
  EXPECT_EQ(t.segments()[1].text, " ");
  EXPECT_EQ(t.segments()[2].kind, Segment::Kind::kField);
  EXPECT_EQ(t.segments()[2].text, "text");
  EXPECT_EQ(t.segments()[3].text, " It was ");
  EXPECT_EQ(t.segments()[4].kind, Segment::Kind::kMask);
  EXPECT_EQ(t.segments()[5].text, ".");
  EXPECT_EQ(t.num_soft(), 20);
  EXPECT_TRUE(t.has_mask());

  const Template n = Template::parse("{soft:2:a}{x}{soft:3}{y}{soft:2:a}{{lit}}");
  EXPECT_EQ(n.num_soft(), 5);
  EXPECT_EQ(n.segments()[0].first_index, 0);
  EXPECT_EQ(n.segments()[2].first_index, 2);
  EXPECT_EQ(n.segments()[4].first_index, 0);
  EXPECT_EQ(n.segments()[5].text, "{lit}");
  EXPECT_EQ(n.fields(), (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(n.has_mask());
}

TEST(Template, MalformedPlaceholdersNameThemselves) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{soft}", "{soft}"},          {"{soft:0}", "{soft:0}"},       {"{soft:x}", "{soft:x}"},
      {"{soft:3:}", "{soft:3:}"},    {"{soft:3:a b}", "{soft:3:a b}"}, {"{}", "{}"},
      {"{foo bar}", "{foo bar}"},    {"{1x}", "{1x}"},               {"{mask}{mask}", "more than one"},
      {"{text", "unmatched '{'"},    {"text}", "unmatched '}'"},     {"{a{b}}", "unmatched '{'"},
      {"{soft:2:p}{soft:3:p}", "'p'"}, {"{soft:99999999}", "{soft:99999999}"}, {"{mask:2}", "{mask:2}"}};
  for (const auto& [text, needle] : bad) {
    try {
      Template::parse(text);
      ADD_FAILURE() << "no error for " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << text << " -> " << e.what();
    }
  }
}

TEST(Template, HelpersAreTemplates) {
  EXPECT_EQ(Template::prefix(4).text(), "{soft:4}{text}");
  EXPECT_EQ(Template::suffix(4, "q").text(), "{q}{soft:4}");
  EXPECT_EQ(Template::infix(4).text(), "{text_a}{soft:4}{text_b}");
  EXPECT_EQ(Template::class_token(16, ClassPosition::kEnd).text(), "{soft:16} {class}.");
  EXPECT_EQ(Template::class_token(16, ClassPosition::kFront).text(), "{class} {soft:16}.");
  const Template mid = Template::class_token(5, ClassPosition::kMiddle);
  EXPECT_EQ(mid.text(), "{soft:2} {class} {soft:3}.");
  EXPECT_EQ(mid.num_soft(), 5);
  EXPECT_EQ(mid.segments()[4].first_index, 2);
  EXPECT_THROW(Template::class_token(1, ClassPosition::kMiddle), InputError);
  EXPECT_THROW(Template::prefix(0), InputError);
}

TEST(Place, EveryPlacementPaddingSideAndMode) {
  ToyVocab v;
  auto tok = [&](const std::string& s) { return v(s); };
  struct Case {
    Template tmpl;
    std::vector<std::string> causal, bidirectional;  // expected rows; bidirectional empty = same as causal
  };
  const std::vector<Case> cases = {
      {Template::prefix(2),
       {"<bos>|<s0>|<s1>|hello|<eos>", "<bos>|<s0>|<s1>|the| cat| sat|<eos>", "<bos>|<s0>|<s1>|x| y|<eos>"}, {}},
      {Template::suffix(2),
       {"<bos>|hello|<s0>|<s1>|<eos>", "<bos>|the| cat| sat|<s0>|<s1>|<eos>", "<bos>|x| y|<s0>|<s1>|<eos>"}, {}},
      {Template::infix(2),
       {"<bos>|a|<s0>|<s1>|b| c|<eos>", "<bos>|one| two| three|<s0>|<s1>|x|<eos>", "<bos>|p|<s0>|<s1>|q|<eos>"},
       {}},
      {Template::parse("{soft:3} {text} It was {mask}."),
       {"<bos>|<s0>|<s1>|<s2>| hello| It| was", "<bos>|<s0>|<s1>|<s2>| the| cat| sat| It| was",
        "<bos>|<s0>|<s1>|<s2>| x| y| It| was"},
       {"<bos>|<s0>|<s1>|<s2>| hello| It| was|<mask>|.|<eos>",
        "<bos>|<s0>|<s1>|<s2>| the| cat| sat| It| was|<mask>|.|<eos>",
        "<bos>|<s0>|<s1>|<s2>| x| y| It| was|<mask>|.|<eos>"}},
      {Template::parse("Q: {text}"), {"<bos>|Q:| hello|<eos>", "<bos>|Q:| the| cat| sat|<eos>", "<bos>|Q:| x| y|<eos>"},
       {}},
      {Template::parse("{text_a} {soft:2:p} {text_b} {soft:2:p}"),
       {"<bos>|a|<s0>|<s1>| b| c|<s0>|<s1>|<eos>", "<bos>|one| two| three|<s0>|<s1>| x|<s0>|<s1>|<eos>",
        "<bos>|p|<s0>|<s1>| q|<s0>|<s1>|<eos>"},
       {}},
  };
  for (const auto& c : cases) {
    for (auto side : {PaddingSide::kRight, PaddingSide::kLeft}) {
      for (bool causal : {true, false}) {
        PlaceOptions o;
        o.padding_side = side;
        o.causal = causal;
        o.pad_id = kPad;
        o.mask_id = kMaskId;
        o.bos_ids = {kBos};
        o.eos_ids = {kEos};
        const auto& specs = (!causal && !c.bidirectional.empty()) ? c.bidirectional : c.causal;
        std::vector<Expected> rows;
        for (const auto& s : specs) rows.push_back(expect(v, s));
        const PlacedBatch b = place(c.tmpl, kRows, tok, o);
        EXPECT_EQ(b.num_soft, c.tmpl.num_soft());
        check_batch(b, rows, o,
                    c.tmpl.text() + (side == PaddingSide::kLeft ? " left" : " right") + (causal ? " causal" : " bidir"));
      }
    }
  }
}

TEST(Place, NoBosEosAndPadToMaxLength) {
  ToyVocab v;
  auto tok = [&](const std::string& s) { return v(s); };
  PlaceOptions o;
  o.padding_side = PaddingSide::kLeft;
  o.max_length = 9;
  o.pad_to_max_length = true;
  o.pad_id = kPad;
  const auto t = Template::parse("{soft:3} {text} It was {mask}.");
  const PlacedBatch b = place(t, kRows, tok, o);
  check_batch(b, {expect(v, "<s0>|<s1>|<s2>| hello| It| was"), expect(v, "<s0>|<s1>|<s2>| the| cat| sat| It| was"),
                  expect(v, "<s0>|<s1>|<s2>| x| y| It| was")},
              o, "pad to 9");
  o.move_spaces = false;  // the literal " " and the trailing space of " It was " stay tokens of their own
  const PlacedBatch raw = place(t, {kRows[0]}, tok, o);
  check_batch(raw, {expect(v, "<s0>|<s1>|<s2>| |hello| It| was| ")}, o, "move_spaces off");
}

TEST(Place, TruncationCutsTheFieldOnly) {
  ToyVocab v;
  auto tok = [&](const std::string& s) { return v(s); };
  PlaceOptions o;
  o.max_length = 7;
  o.bos_ids = {kBos};
  const auto t = Template::parse("{soft:3} {text} It was {mask}.");
  // "the cat sat" needs 9 tokens: cut 2 from the end of the field.
  const PlacedBatch b = place(t, kRows, tok, o);
  check_batch(b, {expect(v, "<bos>|<s0>|<s1>|<s2>| hello| It| was"), expect(v, "<bos>|<s0>|<s1>|<s2>| the| It| was"),
                  expect(v, "<bos>|<s0>|<s1>|<s2>| x| It| was")},
              o, "truncated");
  // Even an empty field cannot fit 6: the literals and soft tokens are never cut.
  o.max_length = 5;
  try {
    place(t, kRows, tok, o);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 0"), std::string::npos) << e.what();
  }
  // Two fields: the one named is cut; none named is an error.
  const auto two = Template::infix(2);
  o.max_length = 6;
  EXPECT_THROW(place(two, kRows, tok, o), InputError);
  o.truncate_field = "text_a";
  const PlacedBatch cut = place(two, kRows, tok, o);
  check_batch(cut, {expect(v, "<bos>|a|<s0>|<s1>|b| c"), expect(v, "<bos>|one| two|<s0>|<s1>|x"),
                    expect(v, "<bos>|p|<s0>|<s1>|q")},
              o, "cut text_a");
  o.truncate_field = "nope";
  EXPECT_THROW(place(two, kRows, tok, o), InputError);
}

TEST(Place, BadRowsAndOptions) {
  ToyVocab v;
  auto tok = [&](const std::string& s) { return v(s); };
  try {
    place(Template::prefix(2, "question"), kRows, tok, {});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'question'"), std::string::npos) << e.what();
  }
  // Causal with nothing before {mask}: no position to read from.
  EXPECT_THROW(place(Template::parse("{mask} {text}"), kRows, tok, {}), InputError);
  PlaceOptions o;
  o.pad_to_max_length = true;
  EXPECT_THROW(place(Template::prefix(2), kRows, tok, o), InputError);
  o = {};
  o.max_length = -1;
  EXPECT_THROW(place(Template::prefix(2), kRows, tok, o), InputError);
  // Empty field text adds no token (not a lone space).
  const PlacedBatch b = place(Template::parse("{soft:1} {text}!"), {{{"text", ""}}}, tok, {});
  check_batch(b, {expect(v, "<s0>|!")}, PlaceOptions{}, "empty field");
}

TEST(Place, MarkerInfixIsTheInfixTemplate) {
  ToyVocab v;
  auto tok = [&](const std::string& s) { return v(s); };
  const std::vector<TemplateRow> marked = {{{"text", "a[P]b c"}}, {{"text", "one two three[P]x"}}, {{"text", "p[P]q"}}};
  const PlacedBatch a = place(Template::infix(2), split_at_marker(marked, "text", "[P]"), tok, {});
  const PlacedBatch b = place(Template::infix(2), kRows, tok, {});
  EXPECT_TRUE(a.input_ids.equal(b.input_ids));
  EXPECT_TRUE(a.soft_index.equal(b.soft_index));
  EXPECT_THROW(split_at_marker({{{"text", "no marker"}}}, "text", "[P]"), InputError);
  EXPECT_THROW(split_at_marker({{{"other", "x[P]"}}}, "text", "[P]"), InputError);
}

namespace {

// A [B,T,D] batch whose row b has lengths[b] real tokens, padded on `side`; values are distinct.
SlotInput padded_batch(const std::vector<int64_t>& lengths, int64_t T, int64_t D, PaddingSide side) {
  const int64_t B = lengths.size();
  at::Tensor mask = at::zeros({B, T}, at::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t s = side == PaddingSide::kLeft ? T - lengths[b] : 0;
    mask[b].slice(0, s, s + lengths[b]).fill_(1);
  }
  return {at::arange(B * T * D, at::kFloat).view({B, T, D}) / 7.0, mask};
}

}  // namespace

TEST(Insert, PrefixOffsetAndSuffixOverPaddingSides) {
  const std::vector<int64_t> lengths = {4, 2, 3};
  const int64_t B = 3, T = 4, P = 2, D = 3;
  for (auto side : {PaddingSide::kRight, PaddingSide::kLeft}) {
    for (InsertAt at : {InsertAt{InsertAt::Kind::kPrefix, 0}, InsertAt{InsertAt::Kind::kPrefix, 1},
                        InsertAt{InsertAt::Kind::kSuffix, 0}}) {
      SCOPED_TRACE(std::string(side == PaddingSide::kLeft ? "left " : "right ") +
                   (at.kind == InsertAt::Kind::kSuffix ? "suffix" : "prefix+" + std::to_string(at.offset)));
      SlotInput x = padded_batch(lengths, T, D, side);
      x.embeds.requires_grad_(true);
      const at::Tensor prompts = (-at::arange(B * P * D, at::kFloat).view({B, P, D}) - 1).requires_grad_(true);
      const at::Tensor pmask = torch::tensor({1, 1, 1, 0, 1, 1}, at::kLong).view({B, P});
      const Insertion ins = insert_prompts(x, prompts, pmask, at);
      ASSERT_EQ(ins.x.embeds.sizes(), (std::vector<int64_t>{B, T + P, D}));
      const at::Tensor w = at::randn({B, T + P, D});
      (ins.x.embeds * w).sum().backward();
      for (int64_t b = 0; b < B; ++b) {
        const int64_t first = side == PaddingSide::kLeft ? T - lengths[b] : 0;
        const int64_t s = at.kind == InsertAt::Kind::kSuffix ? first + lengths[b] : first + at.offset;
        // Reference by concatenation: x[:s] ++ prompts ++ x[s:].
        const at::Tensor ref = at::cat({x.embeds[b].slice(0, 0, s), prompts[b], x.embeds[b].slice(0, s)});
        const at::Tensor ref_mask = at::cat({x.mask[b].slice(0, 0, s), pmask[b], x.mask[b].slice(0, s)});
        EXPECT_TRUE(ins.x.embeds[b].equal(ref)) << "row " << b;
        EXPECT_TRUE(ins.x.mask[b].equal(ref_mask)) << "row " << b;
        for (int64_t t = 0; t < T + P; ++t)
          EXPECT_EQ(ins.soft_index[b][t].item<int64_t>(), (t >= s && t < s + P) ? t - s : -1);
        EXPECT_TRUE(prompts.grad()[b].equal(w[b].slice(0, s, s + P))) << "row " << b;
        EXPECT_TRUE(x.embeds.grad()[b].equal(at::cat({w[b].slice(0, 0, s), w[b].slice(0, s + P)})));
        // Left padding stays contiguous at the left: no real token or prompt before the first pad run ends.
        if (side == PaddingSide::kLeft) EXPECT_EQ(ins.x.mask[b].slice(0, 0, T - lengths[b]).sum().item<int64_t>(), 0);
      }
    }
  }
}

TEST(Insert, Fp32PromptsIntoHalfEmbeds) {
  for (auto dtype : {at::kBFloat16, at::kHalf}) {
    SlotInput x = padded_batch({2, 3}, 3, 4, PaddingSide::kRight);
    x.embeds = x.embeds.to(dtype);
    const at::Tensor prompts = at::randn({2, 2, 4}).requires_grad_(true);
    const Insertion ins = insert_prompts(x, prompts, {}, {InsertAt::Kind::kSuffix, 0});
    EXPECT_EQ(ins.x.embeds.scalar_type(), dtype);
    EXPECT_EQ(ins.x.mask.scalar_type(), at::kLong);
    ins.x.embeds.to(at::kFloat).sum().backward();
    ASSERT_TRUE(prompts.grad().defined());
    EXPECT_EQ(prompts.grad().scalar_type(), at::kFloat);
    EXPECT_TRUE(prompts.grad().equal(at::ones_like(prompts)));
  }
  SlotInput x = padded_batch({2}, 2, 4, PaddingSide::kRight);
  EXPECT_THROW(insert_prompts(x, at::randn({1, 2, 5}), {}, {}), c10::Error);                       // width
  EXPECT_THROW(insert_prompts(x, at::randn({1, 2, 4}), at::ones({1, 3}, at::kLong), {}), c10::Error);  // mask
  EXPECT_THROW(insert_prompts(x, at::randn({1, 2, 4}), {}, {InsertAt::Kind::kPrefix, -1}), c10::Error);
}

TEST(Scatter, FillsSoftPositionsAndRoutesGradients) {
  const int64_t B = 2, T = 5, P = 2, D = 3;
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor embeds = at::randn({B, T, D}).to(dtype).requires_grad_(true);
    const at::Tensor idx = torch::tensor({-1, 0, 1, -1, -1, 1, -1, -1, 0, 1}, at::kLong).view({B, T});
    const at::Tensor prompts = at::randn({B, P, D}).requires_grad_(true);
    const at::Tensor out = scatter_prompts(embeds, idx, prompts);
    EXPECT_EQ(out.scalar_type(), dtype);
    const at::Tensor w = at::randn({B, T, D});
    (out.to(at::kFloat) * w).sum().backward();
    at::Tensor want_grad = at::zeros({B, P, D});
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t t = 0; t < T; ++t) {
        const int64_t k = idx[b][t].item<int64_t>();
        const at::Tensor want = k >= 0 ? prompts[b][k].to(dtype) : embeds[b][t];
        EXPECT_TRUE(out[b][t].equal(want)) << b << "," << t;
        EXPECT_TRUE(embeds.grad()[b][t].to(at::kFloat).equal(k >= 0 ? at::zeros({D}) : w[b][t].to(dtype).to(at::kFloat)));
        if (k >= 0) want_grad[b][k] += w[b][t];
      }
    }
    EXPECT_EQ(prompts.grad().scalar_type(), at::kFloat);
    EXPECT_TRUE(prompts.grad().allclose(want_grad, 1e-2, 3e-2));  // bf16 rounding of the incoming gradient
  }
  EXPECT_THROW(scatter_prompts(at::zeros({1, 2, 3}), torch::tensor({0, 2}, at::kLong).view({1, 2}), at::zeros({1, 2, 3})),
               c10::Error);
  EXPECT_THROW(scatter_prompts(at::zeros({1, 2, 3}), torch::tensor({0}, at::kLong).view({1, 1}), at::zeros({1, 2, 3})),
               c10::Error);
}

TEST(Replace, DeepPromptsReplaceReservedPositions) {
  SlotInput x = padded_batch({3, 1}, 3, 2, PaddingSide::kLeft);
  const Insertion ins = insert_prompts(x, at::randn({2, 2, 2}), {}, {InsertAt::Kind::kPrefix, 0});
  // Positions round-trip: where insert put prompt k is where soft_index_from_positions puts it.
  const at::Tensor positions = torch::tensor({0, 1, 2, 3}, at::kLong).view({2, 2});
  EXPECT_TRUE(soft_index_from_positions(positions, 5).equal(ins.soft_index));
  EXPECT_THROW(soft_index_from_positions(positions, 3), c10::Error);

  SlotInput hidden{ins.x.embeds.detach().clone().requires_grad_(true), ins.x.mask};
  const at::Tensor layer_prompts = at::randn({2, 2, 2}).requires_grad_(true);
  const SlotInput out = replace_prompts(hidden, ins.soft_index, layer_prompts);
  EXPECT_TRUE(out.mask.equal(hidden.mask));
  out.embeds.sum().backward();
  const at::Tensor at_prompt = (ins.soft_index >= 0).unsqueeze(-1).to(at::kFloat);
  // Replaced positions pass no gradient to the previous layer; the new prompts receive it.
  EXPECT_TRUE(hidden.embeds.grad().equal((1 - at_prompt).expand({2, 5, 2})));
  EXPECT_TRUE(layer_prompts.grad().equal(at::ones({2, 2, 2})));
  EXPECT_TRUE(out.embeds.masked_select(at_prompt.to(at::kBool).expand({2, 5, 2}))
                  .equal(layer_prompts.flatten()));
}
