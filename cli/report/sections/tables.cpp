// The study's attributes and the best trial's params, as tables.
#include <algorithm>
#include <map>

#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

namespace {

constexpr std::size_t kMaxJson = 400;
constexpr std::size_t kMaxFrontRows = 20;

std::string json_cell(const Json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : dump_json(value);
  if (text.size() > kMaxJson) text = text.substr(0, kMaxJson) + " …";
  return "<td class=\"json\">" + escape_html(text) + "</td>";
}

std::string attribute_table(const std::string& caption, const AttrMap& attrs) {
  if (attrs.empty()) return "";
  std::string html = "<table><caption>" + escape_html(caption) + "</caption>";
  for (const auto& [key, value] : attrs) html += "<tr><th>" + escape_html(key) + "</th>" + json_cell(value) + "</tr>";
  return html + "</table>";
}

std::string number_cell(double value) { return "<td class=\"num\">" + escape_html(format_number(value)) + "</td>"; }

std::string param_cell(const Json& value) {
  return value.is_number() ? number_cell(value.get<double>()) : json_cell(value);
}

std::string params_table(const ReportContext& context, const FrozenTrial& trial) {
  const HybridRecord& hybrid = context.hybrid_of(trial);
  const bool with_initial = !hybrid.initial_params.empty();
  std::string html = "<table class=\"params\"><caption>params</caption><tr><th>name</th><th>value</th>" +
                     std::string(with_initial ? "<th>initial (before refinement)</th>" : "") + "</tr>";
  const auto initial_cell = [&](const std::string& name) {
    if (!with_initial) return std::string();
    const auto it = hybrid.initial_params.find(name);
    return it == hybrid.initial_params.end() ? std::string("<td></td>") : number_cell(it->second);
  };
  for (const std::string& name : context.layout.scalars) {
    const auto value = trial.params.find(name);
    if (value == trial.params.end()) continue;
    html += "<tr><th>" + escape_html(name) + "</th>" + param_cell(value->second) + initial_cell(name) + "</tr>";
  }
  for (const VectorParam& vector : context.layout.vectors) {
    std::vector<double> values;
    std::string rows;
    for (const std::string& element : vector.elements) {
      const auto value = trial.params.find(element);
      if (value == trial.params.end()) continue;
      if (value->second.is_number()) values.push_back(value->second.get<double>());
      rows += "<tr><th>" + escape_html(element) + "</th>" + param_cell(value->second) + initial_cell(element) + "</tr>";
    }
    if (rows.empty()) continue;
    std::string summary = std::to_string(vector.elements.size()) + " elements";
    if (!values.empty()) {
      std::sort(values.begin(), values.end());
      summary += ": min " + format_number(values.front()) + ", median " + format_number(values[values.size() / 2]) +
                 ", max " + format_number(values.back());
    }
    html += "<tr><th>" + escape_html(vector.name) + "[…]</th><td colspan=\"" + std::to_string(with_initial ? 2 : 1) +
            "\"><details><summary>" + escape_html(summary) + "</summary><table>" + rows + "</table></details></td></tr>";
  }
  return html + "</table>";
}

std::string trial_facts(const ReportContext& context, const FrozenTrial& trial) {
  std::string html = "<table><caption>trial " + std::to_string(trial.number) + "</caption>";
  for (std::size_t i = 0; i < trial.values.size(); ++i) {
    html += "<tr><th>" + escape_html(trial.values.size() == 1 ? "value" : "value " + std::to_string(i)) + "</th>" +
            number_cell(trial.values[i]) + "</tr>";
  }
  if (trial.datetime_start && trial.datetime_complete) {
    html += "<tr><th>duration (s)</th>" +
            number_cell(std::chrono::duration<double>(*trial.datetime_complete - *trial.datetime_start).count()) +
            "</tr>";
  }
  const HybridRecord& hybrid = context.hybrid_of(trial);
  if (hybrid.mode) html += "<tr><th>hybrid mode</th><td>" + escape_html(*hybrid.mode) + "</td></tr>";
  if (hybrid.parent) html += "<tr><th>started from trial</th><td>" + std::to_string(*hybrid.parent) + "</td></tr>";
  if (hybrid.method) html += "<tr><th>hypergradient method</th><td>" + escape_html(*hybrid.method) + "</td></tr>";
  if (hybrid.hyper_steps) html += "<tr><th>hyper-steps</th><td>" + std::to_string(*hybrid.hyper_steps) + "</td></tr>";
  if (!hybrid.whole_runs.empty()) {
    std::string runs;
    for (std::size_t i = 0; i < hybrid.whole_runs.size(); ++i) {
      runs += (i ? ", " : "") + escape_html(format_number(hybrid.whole_runs[i]));
      if (hybrid.best_run && static_cast<std::size_t>(*hybrid.best_run) == i + 1) runs += " (best)";
    }
    html += "<tr><th>whole runs' validation losses</th><td>" + runs + "</td></tr>";
  }
  return html + "</table>";
}

}  // namespace

std::optional<Section> best_trial_section(const ReportContext& context) {
  const StudyView& study = context.study;
  if (context.complete.empty()) return std::nullopt;
  if (study.directions.size() == 1) {
    const FrozenTrial& best = *context.best();
    std::string html = "<div class=\"row\">" + trial_facts(context, best) + params_table(context, best) + "</div>";
    html += attribute_table("user attributes", best.user_attrs);
    return Section{"best-trial", "Best trial", html};
  }
  std::string html = "<table><tr><th>trial</th>";
  for (std::size_t i = 0; i < study.directions.size(); ++i) html += "<th>value " + std::to_string(i) + "</th>";
  for (const std::string& name : context.layout.scalars) html += "<th>" + escape_html(name) + "</th>";
  html += "</tr>";
  std::size_t n_rows = 0;
  for (const FrozenTrial& trial : study.trials) {
    if (std::find(study.pareto_front.begin(), study.pareto_front.end(), trial.number) == study.pareto_front.end()) continue;
    if (++n_rows > kMaxFrontRows) break;
    html += "<tr><td>" + std::to_string(trial.number) + "</td>";
    for (double value : trial.values) html += number_cell(value);
    for (const std::string& name : context.layout.scalars) {
      const auto value = trial.params.find(name);
      html += value == trial.params.end() ? "<td></td>" : param_cell(value->second);
    }
    html += "</tr>";
  }
  html += "</table>";
  if (study.pareto_front.size() > kMaxFrontRows) {
    html += note_paragraph("Showing the first " + std::to_string(kMaxFrontRows) + " of " +
                           std::to_string(study.pareto_front.size()) + " Pareto-optimal trials.");
  }
  return Section{"best-trial", "Best trials (Pareto front)", html};
}

std::optional<Section> study_attributes_section(const ReportContext& context) {
  const StudyView& study = context.study;
  std::map<TrialState, std::size_t> counts;
  for (const FrozenTrial& trial : study.trials) ++counts[trial.state];
  std::string html = "<table><caption>study</caption><tr><th>name</th><td>" + escape_html(study.name) + "</td></tr>";
  std::string directions;
  for (StudyDirection direction : study.directions) directions += (directions.empty() ? "" : ", ") + to_string(direction);
  html += "<tr><th>directions</th><td>" + escape_html(directions) + "</td></tr>";
  html += "<tr><th>trials</th><td>" + format_count(study.trials.size()) + "</td></tr>";
  for (const auto& [state, count] : counts) {
    html += "<tr><th>" + escape_html(to_string(state)) + "</th><td>" + format_count(count) + "</td></tr>";
  }
  html += "</table>" + attribute_table("user attributes", study.user_attrs) +
          attribute_table("system attributes", study.system_attrs);
  return Section{"study", "Study attributes", "<div class=\"row\">" + html + "</div>"};
}

}  // namespace hpo::cli
