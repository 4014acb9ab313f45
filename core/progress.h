#pragma once
// Progress reporting for long loops: on a terminal a one-line bar redrawn in place (at most ~10 times a
// second) with ETA and live values; elsewhere (CI, log files) plain lines every `every` steps, which stay
// readable in a log. Both show step/total, rate, elapsed time and ETA.
//
//   Progress p(std::cerr, Progress::stderr_is_tty(), /*total=*/1000, /*every=*/50);
//   for (int64_t s = 1; s <= 1000; ++s) { ...; p.update(s, {{"loss", loss}, {"lr", lr}}); }
//   p.finish();
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace softprompt::core {

class Progress {
 public:
  using Values = std::vector<std::pair<std::string, double>>;

  // `start`: steps already done before this process (a resumed run); the rate and ETA count only the steps
  // done here. `every`: steps between plain lines (non-TTY mode).
  Progress(std::ostream& out, bool tty, int64_t total, int64_t every, int64_t start = 0,
           std::string label = "train");

  // Reports that `step` steps are done, with live values (e.g. loss, lr, a dev metric).
  void update(int64_t step, const Values& values);
  // Prints a whole line (an evaluation result, a warning) without breaking the bar.
  void message(const std::string& line);
  // Ends the bar line (TTY mode). Safe to call more than once.
  void finish();

  // Text pieces, public for tests: "1:02:03" style durations, "?" when unknown, and "eta 0:42".
  static std::string format_duration(double seconds);
  std::string eta_text(int64_t step) const;
  static bool stderr_is_tty();
  // Replaces the monotonic clock (seconds) for tests.
  void set_clock(std::function<double()> clock);

 private:
  double now() const { return clock_(); }
  std::string status(int64_t step, const Values& values, bool with_bar) const;
  int terminal_width() const;

  std::ostream& out_;
  bool tty_;
  int64_t total_, every_, start_;
  std::string label_;
  std::function<double()> clock_;
  double t0_;
  double last_draw_ = -1e9;
  bool bar_open_ = false;
  int64_t last_step_ = 0;
  Values last_values_;
};

// Formats a value compactly for progress lines: 4 significant digits, scientific for tiny/huge values.
std::string format_value(double v);

}  // namespace softprompt::core
