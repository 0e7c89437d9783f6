#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace hpo::cli {

namespace {

constexpr int kBarWidth = 24;

std::string clock_text(double seconds) {
  const long long whole = std::llround(std::max(0.0, seconds));
  char text[32];
  if (whole >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", whole / 3600, whole / 60 % 60, whole % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", whole / 60, whole % 60);
  }
  return text;
}

std::string value_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

Progress::Progress(std::ostream& out, bool terminal, Verbosity verbosity, std::optional<int> n_trials,
                   std::optional<std::chrono::duration<double>> timeout, std::optional<double> best)
    : out_(out), terminal_(terminal), verbosity_(verbosity), n_trials_(n_trials), timeout_(timeout),
      best_value_(best) {}

std::optional<double> Progress::fraction_done() const {
  std::optional<double> fraction;
  if (n_trials_ && *n_trials_ > 0) fraction = static_cast<double>(finished_) / *n_trials_;
  if (timeout_ && timeout_->count() > 0) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    fraction = std::max(fraction.value_or(0.0), std::min(1.0, elapsed / *timeout_));
  }
  return fraction;
}

std::string Progress::status() const {
  std::string text = std::to_string(finished_) + (n_trials_ ? "/" + std::to_string(*n_trials_) : "") + " trials";
  if (best_value_) {
    text += "  best " + value_text(*best_value_);
    if (best_number_) text += " (trial " + std::to_string(*best_number_) + ")";
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  text += "  " + clock_text(elapsed) + " elapsed";
  if (const std::optional<double> fraction = fraction_done(); fraction && *fraction > 0 && finished_ > 0) {
    text += "  ETA " + clock_text(elapsed / *fraction - elapsed);
  }
  return text;
}

void Progress::trial_finished(const FrozenTrial& trial) {
  ++finished_;
  if (trial.state == TrialState::Complete && (!best_value_ || trial.values[0] < *best_value_)) {
    best_value_ = trial.values[0];
    best_number_ = trial.number;
  }
  if (verbosity_ == Verbosity::Quiet) return;

  std::string outcome = "trial " + std::to_string(trial.number) + " " + to_string(trial.state);
  if (!trial.values.empty()) outcome += " " + value_text(trial.values[0]);
  if (const auto reason = trial.system_attrs.find("fail_reason"); reason != trial.system_attrs.end()) {
    outcome += ": " + reason->second.get<std::string>();
  }
  if (verbosity_ == Verbosity::Verbose) outcome += "  " + dump_json(Json(trial.params));

  if (!terminal_) {
    out_ << outcome << "  [" << status() << "]\n" << std::flush;
    return;
  }
  const int filled = static_cast<int>(std::lround(fraction_done().value_or(0.0) * kBarWidth));
  if (verbosity_ == Verbosity::Verbose) out_ << "\r\033[K" << outcome << '\n';
  out_ << "\r\033[K[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] " << status()
       << std::flush;
  bar_shown_ = true;
}

void Progress::finish() {
  if (bar_shown_) out_ << '\n';
  bar_shown_ = false;
}

}  // namespace hpo::cli
