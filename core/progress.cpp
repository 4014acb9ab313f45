#include "core/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace softprompt::core {
namespace {

double monotonic_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

constexpr double kRedrawSeconds = 0.1;

}  // namespace

std::string format_value(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (a != 0 && (a < 1e-3 || a >= 1e5))
    std::snprintf(buf, sizeof(buf), "%.2e", v);
  else
    std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

Progress::Progress(std::ostream& out, bool tty, int64_t total, int64_t every, int64_t start,
                   std::string label)
    : out_(out),
      tty_(tty),
      total_(std::max<int64_t>(total, 1)),
      every_(std::max<int64_t>(every, 1)),
      start_(start),
      label_(std::move(label)),
      clock_(monotonic_seconds),
      t0_(monotonic_seconds()),
      last_step_(start) {}

void Progress::set_clock(std::function<double()> clock) {
  clock_ = std::move(clock);
  t0_ = clock_();
}

bool Progress::stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string Progress::eta_text(int64_t step) const {
  const double elapsed = now() - t0_;
  const int64_t done_here = step - start_;
  if (done_here <= 0 || elapsed <= 0) return "eta ?";
  return "eta " +
         format_duration(static_cast<double>(total_ - step) * elapsed / static_cast<double>(done_here));
}

int Progress::terminal_width() const {
  struct winsize w {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 20) return w.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 20) return n;
  }
  return 100;
}

// "train  12% |#####     | 120/1000 0:12<1:40 9.8 it/s loss 0.532 lr 3.00e-01" (bar) or
// "train step 120/1000 (12.0%) loss 0.532 lr 3.00e-01 | 9.8 it/s elapsed 0:12 eta 1:40" (line).
std::string Progress::status(int64_t step, const Values& values, bool with_bar) const {
  const double elapsed = now() - t0_;
  const double rate = elapsed > 0 ? static_cast<double>(step - start_) / elapsed : 0.0;
  const double frac = std::clamp(static_cast<double>(step) / static_cast<double>(total_), 0.0, 1.0);
  std::ostringstream vals;
  for (const auto& [k, v] : values) vals << ' ' << k << ' ' << format_value(v);
  char rate_buf[32];
  std::snprintf(rate_buf, sizeof(rate_buf), rate >= 1 ? "%.1f it/s" : "%.2f s/it",
                rate >= 1 ? rate : 1 / rate);
  const std::string rate_text = rate > 0 ? rate_buf : "? it/s";
  std::ostringstream os;
  if (!with_bar) {
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%.1f%%", 100 * frac);
    os << label_ << " step " << step << '/' << total_ << " (" << pct << ")" << vals.str() << " | "
       << rate_text << " elapsed " << format_duration(elapsed) << ' ' << eta_text(step);
    return os.str();
  }
  const std::string eta = eta_text(step).substr(4);
  std::ostringstream right;
  right << ' ' << step << '/' << total_ << ' ' << format_duration(elapsed) << '<' << eta << ' ' << rate_text
        << vals.str();
  char pct[8];
  std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(100 * frac));
  const int fixed = static_cast<int>(label_.size() + 1 + 4 + 3 + right.str().size());
  const int bar = std::clamp(terminal_width() - 1 - fixed, 10, 50);
  const int filled = static_cast<int>(frac * bar);
  os << label_ << ' ' << pct << " |" << std::string(filled, '#') << std::string(bar - filled, ' ') << '|'
     << right.str();
  return os.str();
}

void Progress::update(int64_t step, const Values& values) {
  last_step_ = step;
  last_values_ = values;
  if (!tty_) {
    if (step % every_ == 0 || step == total_) out_ << status(step, values, false) << std::endl;
    return;
  }
  const double t = now();
  if (t - last_draw_ < kRedrawSeconds && step != total_) return;
  last_draw_ = t;
  std::string line = status(step, values, true);
  const int width = terminal_width() - 1;
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(width));
  out_ << "\r\033[K" << line << std::flush;
  bar_open_ = true;
}

void Progress::message(const std::string& line) {
  if (tty_ && bar_open_) {
    out_ << "\r\033[K" << line << '\n';
    std::string bar = status(last_step_, last_values_, true);
    const int width = terminal_width() - 1;
    if (static_cast<int>(bar.size()) > width) bar.resize(static_cast<size_t>(width));
    out_ << bar << std::flush;
  } else {
    out_ << line << std::endl;
  }
}

void Progress::finish() {
  if (tty_ && bar_open_) out_ << '\n' << std::flush;
  bar_open_ = false;
}

}  // namespace softprompt::core
