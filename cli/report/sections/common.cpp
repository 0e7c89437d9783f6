#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

std::string note_paragraph(const std::string& text) {
  return text.empty() ? "" : "<p class=\"note\">" + escape_html(text) + "</p>";
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& colour_and_label) {
  std::string html = "<div class=\"legend\">";
  for (const auto& [colour, label] : colour_and_label) {
    html += "<span><i style=\"background:" + colour + "\"></i>" + escape_html(label) + "</span>";
  }
  return html + "</div>";
}

std::string trial_tooltip(const FrozenTrial& trial) {
  std::string text = "trial " + std::to_string(trial.number) + " " + to_string(trial.state);
  for (std::size_t i = 0; i < trial.values.size(); ++i) {
    text += (i == 0 ? " value " : ", ") + format_number(trial.values[i]);
  }
  return text;
}

const char* state_colour(TrialState state) {
  switch (state) {
    case TrialState::Complete: return colors::kComplete;
    case TrialState::Pruned: return colors::kPruned;
    case TrialState::Fail: return colors::kFail;
    case TrialState::Running:
    case TrialState::Waiting: return colors::kRunning;
  }
  return colors::kRunning;
}

const char* mode_colour(const std::optional<std::string>& mode) {
  if (mode == "exploit") return colors::kBest;
  if (mode == "explore") return colors::kComplete;
  return colors::kRunning;
}

}  // namespace hpo::cli
