#pragma once
// Labelled text data for the text recipes: the UCI "Sentiment Labelled Sentences" (DATA.md) and generic CSV /
// JSON-lines files with `text` and `label`, plus the fixed, seeded train/dev/test split.
#include <cstdint>
#include <string>
#include <vector>

namespace softprompt::recipes {

struct TextExample {
  std::string text;
  std::string label;
  std::string source;  // e.g. "imdb", or the file name
};

struct TextSplits {
  std::vector<TextExample> train, dev, test;
};

// Reads one UCI sentiment file ([{"text","class"}], class 0/1; the trailing null-class entry is dropped).
// Labels become "negative" / "positive". Throws InputError naming the file and entry when malformed.
std::vector<TextExample> read_uci_sentiment(const std::string& json_path, const std::string& source);

// Reads a CSV (header row naming at least `text` and `label`; RFC 4180 quoting) or JSON lines
// ({"text": ..., "label": ...} per line) file, chosen by extension (.csv / .jsonl / .json lines).
// Every malformed row is an InputError naming file:line. An empty file is an error too.
std::vector<TextExample> read_labelled_text(const std::string& path);

// Splits deterministically (own Fisher-Yates over a seeded SplitMix64, identical on every platform):
// examples are shuffled within each source, then cut train / dev / test by the fractions (test = rest).
TextSplits split_examples(const std::vector<TextExample>& examples, double train_fraction, double dev_fraction,
                          uint64_t seed);

// The documented sentiment splits: imdb + amazon + yelp from `dir` (the npm package's test/fixtures), each
// split 70/10/20 with seed 20240917 -> 2100 train, 300 dev, 600 test sentences.
TextSplits uci_sentiment_splits(const std::string& dir);

}  // namespace softprompt::recipes
