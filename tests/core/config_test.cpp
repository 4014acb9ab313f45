// Config: YAML file + key=value overrides through a recipe schema; unknown keys with suggestions, enum and
// type errors, lists, dumps that read back, and the shipped-config header check.
#include <gtest/gtest.h>

#include <fstream>

#include "core/config/edit_distance.h"
#include "core/config/schema.h"
#include "core/config/shipped_config.h"
#include "core/errors.h"
#include "tests/core/temp_dir.h"

namespace softprompt::core::config {
namespace {

enum class Method { kPrompt, kPrefix, kPTuning };
const std::vector<std::pair<std::string, Method>> kMethods = {
    {"prompt_tuning", Method::kPrompt}, {"prefix_tuning", Method::kPrefix}, {"p_tuning", Method::kPTuning}};

struct Optim {
  double lr = 0;
  std::vector<double> betas;
};
struct Cfg {
  Optim optim;
  int64_t steps = 0;
  bool fp16 = false;
  Method method = Method::kPrompt;
  std::vector<int64_t> layers;
  std::string backbone_path;
  std::string name;
  std::optional<int64_t> seed;
  std::vector<std::string> labels;
  nlohmann::json verbalizer;
};

Schema<Cfg> schema() {
  Schema<Cfg> s;
  s.add(
       "optim.lr", [](Cfg & c) -> auto& { return c.optim.lr; }, 0.3, "learning rate")
      .add(
          "optim.betas", [](Cfg & c) -> auto& { return c.optim.betas; }, {0.9, 0.999}, "Adam betas")
      .add("train.steps", &Cfg::steps, 100, "optimizer steps")
      .add("train.fp16", &Cfg::fp16, false, "half precision")
      .add_enum("method", &Cfg::method, Method::kPrompt, kMethods, "prompt module")
      .add("layers", &Cfg::layers, {0, 1}, "layers with prompts")
      .add_required("backbone.path", &Cfg::backbone_path, "backbone directory")
      .add("name", &Cfg::name, "run", "run name")
      .add("seed", &Cfg::seed, std::nullopt, "random seed (null: from time)")
      .add("labels", &Cfg::labels, {}, "class names")
      .add("verbalizer", &Cfg::verbalizer, nlohmann::json::object(), "label -> words");
  return s;
}

std::string write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// The message of the InputError that `f` throws ("" when it throws none).
template <class F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsFileAndOverrides) {
  testing::TempDir dir;
  const auto path = write(dir, "c.yaml",
                          "# softprompt-x --config c.yaml\n"
                          "optim:\n  lr: 0.05\ntrain:\n  steps: 7\nmethod: prefix_tuning\n"
                          "backbone:\n  path: /models/gpt2\nverbalizer: {pos: [' great'], neg: [' bad']}\n");
  const Cfg c = schema().read_file(path, parse_overrides({"optim.lr=0.3", "layers=[1,2]", "train.fp16=true",
                                                          "seed=5", "labels=[neg, pos]"}));
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.3);                            // override beats file
  EXPECT_EQ(c.optim.betas, (std::vector<double>{0.9, 0.999}));  // default
  EXPECT_EQ(c.steps, 7);                                        // file
  EXPECT_TRUE(c.fp16);
  EXPECT_EQ(c.method, Method::kPrefix);
  EXPECT_EQ(c.layers, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.backbone_path, "/models/gpt2");
  EXPECT_EQ(c.name, "run");
  EXPECT_EQ(c.seed, 5);
  EXPECT_EQ(c.labels, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(c.verbalizer["pos"][0], " great");
}

TEST(Config, SectionOverrideAndLaterOverrideWins) {
  const Cfg c = schema().read_text("backbone: {path: x}\n", "t",
                                   parse_overrides({"optim={lr: 0.1, betas: [0.5, 0.6]}", "optim.lr=0.2"}));
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.2);
  EXPECT_EQ(c.optim.betas, (std::vector<double>{0.5, 0.6}));
}

TEST(Config, UnknownKeysNameTheNearestKey) {
  const auto s = schema();
  auto msg = input_error([&] { s.read_text("optim:\n  lrr: 1\n", "cfg.yaml"); });
  EXPECT_NE(msg.find("unknown config key 'optim.lrr'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cfg.yaml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'optim.lr'"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("", "t", parse_overrides({"lr=0.1"})); });
  EXPECT_NE(msg.find("unknown config key 'lr' (override 'lr=0.1')"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'optim.lr'"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\n", "t", parse_overrides({"train.stepz=3"})); });
  EXPECT_NE(msg.find("did you mean 'train.steps'"), std::string::npos) << msg;
  // A key below a leaf option is unknown too; in a file, a mapping given to a leaf is a type error.
  msg = input_error([&] { s.read_text("backbone: {path: x}\n", "t", parse_overrides({"name.first=a"})); });
  EXPECT_NE(msg.find("unknown config key 'name.first'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'name'"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\nname:\n  first: a\n", "t"); });
  EXPECT_NE(msg.find("config key 'name' (t:2): value '{\"first\":\"a\"}' does not fit type string"),
            std::string::npos)
      << msg;
}

TEST(Config, EnumErrorListsAllowedValues) {
  const auto msg = input_error([] { schema().read_text("method: prefx\nbackbone: {path: x}\n", "c.yaml"); });
  EXPECT_NE(msg.find("config key 'method' (c.yaml:1)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'prefx' is not one of: prompt_tuning, prefix_tuning, p_tuning"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("did you mean 'prefix_tuning'"), std::string::npos) << msg;
  EXPECT_EQ(enum_from_string("method", "p_tuning", kMethods), Method::kPTuning);
  EXPECT_THROW(enum_from_string("method", "lora", kMethods), InputError);
}

TEST(Config, TypeErrorsNameKeyValueAndType) {
  const auto s = schema();
  auto msg =
      input_error([&] { s.read_text("backbone: {path: x}\n", "t", parse_overrides({"optim.lr=abc"})); });
  EXPECT_NE(msg.find("config key 'optim.lr' (override 'optim.lr=abc'): value 'abc' does not fit type float"),
            std::string::npos)
      << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\ntrain: {steps: 1.5}\n", "c.yaml"); });
  EXPECT_NE(msg.find("'train.steps' (c.yaml:2): value '1.5' does not fit type int"), std::string::npos)
      << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\nlayers: [1, two]\n", "c.yaml"); });
  EXPECT_NE(msg.find("type list of int: element 1 (two): expected an integer"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\nlayers: 3\n", "c.yaml"); });
  EXPECT_NE(msg.find("expected a list"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("backbone: {path: x}\ntrain: {fp16: 2}\n", "c.yaml"); });
  EXPECT_NE(msg.find("'train.fp16'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bool"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("backbone: {path: [a]}\n", "c.yaml"); });
  EXPECT_NE(msg.find("'backbone.path'"), std::string::npos) << msg;
  msg = input_error([&] { s.read_text("optim: 3\nbackbone: {path: x}\n", "c.yaml"); });
  EXPECT_NE(msg.find("'optim' (c.yaml:1) is a section"), std::string::npos) << msg;
}

TEST(Config, RequiredKeyMissing) {
  const auto msg = input_error([] { schema().read_text("name: a\n", "t"); });
  EXPECT_NE(msg.find("'backbone.path'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("required"), std::string::npos) << msg;
}

TEST(Config, BadFiles) {
  testing::TempDir dir;
  EXPECT_THROW(schema().read_file(dir / "missing.yaml"), IoError);
  auto msg = input_error([&] { schema().read_file(write(dir, "bad.yaml", "a: [1, 2\nb: 3\n")); });
  EXPECT_NE(msg.find("bad.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
  msg = input_error([&] { schema().read_file(write(dir, "list.yaml", "- 1\n- 2\n")); });
  EXPECT_NE(msg.find("expected a mapping"), std::string::npos) << msg;
  msg = input_error([&] { schema().read_file(write(dir, "dup.yaml", "name: a\nname: b\n")); });
  EXPECT_NE(msg.find("duplicate config key 'name'"), std::string::npos) << msg;
}

TEST(Config, MalformedOverrides) {
  EXPECT_NE(input_error([] { parse_override("optim.lr"); }).find("key=value"), std::string::npos);
  EXPECT_THROW(parse_override("=3"), InputError);
  EXPECT_THROW(parse_override("a..b=3"), InputError);
  EXPECT_NE(input_error([] { parse_override("layers=[1,2"); }).find("not valid YAML"), std::string::npos);
  const auto o = parse_override("backbone.path=/a=b");  // the first '=' separates
  EXPECT_EQ(o.key, "backbone.path");
  EXPECT_EQ(o.value.Scalar(), "/a=b");
}

TEST(Config, DumpReadsBackToTheSameConfig) {
  const auto s = schema();
  const Cfg c =
      s.read_text("backbone: {path: /m}\nname: '007'\nlabels: ['true', 'null', '', 'a b: c']\n", "t",
                  parse_overrides({"optim.lr=1e-3", "method=p_tuning", "verbalizer={x: [1, y]}"}));
  const std::string yaml = s.to_yaml(c);
  const Cfg back = s.read_text(yaml, "dump");
  EXPECT_EQ(s.to_json(back), s.to_json(c)) << yaml;
  EXPECT_EQ(back.name, "007");
  EXPECT_EQ(back.labels, (std::vector<std::string>{"true", "null", "", "a b: c"}));
  EXPECT_DOUBLE_EQ(back.optim.lr, 1e-3);
  EXPECT_FALSE(back.seed.has_value());
  const auto j = s.to_json(c);
  EXPECT_EQ(j["optim"]["lr"], 1e-3);
  EXPECT_EQ(j["method"], "p_tuning");
  EXPECT_EQ(j["train"]["steps"], 100);
  EXPECT_TRUE(j["seed"].is_null());
  EXPECT_EQ(j["verbalizer"]["x"][1], "y");
  // The JSON dump reads back as YAML too (JSON is YAML).
  EXPECT_EQ(s.to_json(s.read_text(j.dump(), "json")), j);
}

TEST(Config, HelpListsEveryOption) {
  const auto help = schema().help_text();
  EXPECT_NE(help.find("method (enum: prompt_tuning prefix_tuning p_tuning) default \"prompt_tuning\""),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("backbone.path (string) required"), std::string::npos) << help;
}

TEST(Config, DeclarationMistakesAreLogicErrors) {
  Schema<Cfg> s;
  s.add("train.steps", &Cfg::steps, 1, "");
  EXPECT_THROW(s.add("train.steps", &Cfg::steps, 1, ""), std::logic_error);
  EXPECT_THROW(s.add("train", &Cfg::name, "", ""), std::logic_error);
  EXPECT_THROW(s.add("train.steps.x", &Cfg::name, "", ""), std::logic_error);
}

TEST(Config, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", "abc"), 0u);
  EXPECT_EQ(nearest_key("optm.lr", {"seed", "optim.lr", "optim.betas"}), "optim.lr");
  EXPECT_EQ(nearest_key("x", {}), "");
  EXPECT_EQ(nearest_key("lr", {"layers", "seed", "optim.lr"}), "optim.lr");
  EXPECT_EQ(nearest_key("prefx", {"prompt_tuning", "p_tuning", "prefix_tuning"}), "prefix_tuning");
}

TEST(Config, ShippedConfigHeader) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "recipes/configs/t");
  const auto good =
      write(dir, "recipes/configs/t/a.yaml",
            "# softprompt-t --config recipes/configs/t/a.yaml train.steps=3\nbackbone: {path: x}\n");
  const Cfg c = check_shipped_config(schema(), good, dir.path().string(), "softprompt-t");
  EXPECT_EQ(c.steps, 3);
  const auto h = read_config_header(good);
  EXPECT_EQ(h.command, "softprompt-t");
  EXPECT_EQ(h.overrides, (std::vector<std::string>{"train.steps=3"}));
  EXPECT_THROW(check_shipped_config(schema(), good, dir.path().string(), "softprompt-u"), InputError);
  const auto wrong_path =
      write(dir, "recipes/configs/t/b.yaml", "# softprompt-t --config recipes/t/a.yaml\n");
  auto msg = input_error([&] { check_config_header(wrong_path, dir.path().string()); });
  EXPECT_NE(msg.find("is not this file"), std::string::npos) << msg;
  const auto no_comment = write(dir, "recipes/configs/t/c.yaml", "backbone: {path: x}\n");
  msg = input_error([&] { read_config_header(no_comment); });
  EXPECT_NE(msg.find("first line must be a comment"), std::string::npos) << msg;
  const auto no_config = write(dir, "recipes/configs/t/d.yaml", "# softprompt-t\n");
  EXPECT_THROW(read_config_header(no_config), InputError);
  const auto bad_body =
      write(dir, "recipes/configs/t/e.yaml",
            "# softprompt-t --config recipes/configs/t/e.yaml\nbackbone: {path: x}\nstep: 1\n");
  EXPECT_THROW(check_shipped_config(schema(), bad_body, dir.path().string()), InputError);
}

}  // namespace
}  // namespace softprompt::core::config
