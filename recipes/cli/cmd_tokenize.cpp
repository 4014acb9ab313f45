// `softprompt tokenize --tokenizer PATH [--add-special]`: standard input holds one JSON string per line;
// standard output gets one JSON array of ids per line, in order. PATH is anything load_tokenizer accepts: a
// GPT-2 directory (vocab.json + merges.txt or encoder.json + vocab.bpe), a CLIP bpe_simple_vocab_16e6.txt.gz,
// a sentencepiece .model, or the names "gpt2" / "clip" for the shipped vocabularies.
// --add-special: CLIP -> SOT ... EOT; sentencepiece -> the model's bos/eos; GPT-2 -> "<|endoftext|>" in the
// text becomes the special id 50256 (Hugging Face) instead of being BPE'd as text (OpenAI's encoder).
// A bad line (not a JSON string, invalid UTF-8) stops the run with "error: line N: ..." and exit status 2;
// the lines before it have been written.
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "core/errors.h"
#include "modalities/text/tokenizer_factory.h"
#include "modalities/text/utf8.h"
#include "recipes/cli/command.h"

namespace {

using softprompt::InputError;
namespace text = softprompt::modalities::text;

struct Options {
  std::string tokenizer;
  bool add_special = false;
};

// The text of one input line; throws InputError without the line number (the caller adds it).
std::string parse_line(const std::string& line) {
  text::validate_utf8(line, "the line");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("not JSON: ") + e.what());
  }
  if (!j.is_string()) throw InputError("expected a JSON string, got " + std::string(j.type_name()));
  return j.get<std::string>();
}

int run(const Options& opt) {
  const auto tok = text::load_tokenizer(opt.tokenizer);
  std::string line;
  for (size_t n = 1; std::getline(std::cin, line); ++n) {
    try {
      const auto ids = tok->encode(parse_line(line), opt.add_special);
      std::cout << nlohmann::json(ids).dump() << '\n' << std::flush;
    } catch (const InputError& e) {
      std::cout << std::flush;
      std::cerr << "error: line " << n << ": " << e.what() << "\n";
      return 2;
    }
  }
  return 0;
}

softprompt::cli::Registration reg(
    "tokenize", "text -> token ids (JSON string per line in, JSON array out)", [](CLI::App& sub) {
      auto opt = std::make_shared<Options>();
      sub.add_option("--tokenizer", opt->tokenizer,
                     "GPT-2 directory, CLIP .txt.gz, sentencepiece .model, or gpt2/clip")
          ->required();
      sub.add_flag("--add-special", opt->add_special,
                   "CLIP SOT/EOT, spm bos/eos, GPT-2 <|endoftext|> as id 50256");
      return [opt]() -> int { return run(*opt); };
    });

}  // namespace
