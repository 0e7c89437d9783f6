#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/report_context.hpp"

namespace hpo::cli {

// One part of the report page; a section without the data it needs is left out.
struct Section {
  std::string id;
  std::string title;
  std::string html;
};

// One file each in report/sections/.
std::optional<Section> history_section(const ReportContext& context);
std::optional<Section> intermediate_section(const ReportContext& context);
std::optional<Section> importance_section(const ReportContext& context);
std::optional<Section> slice_section(const ReportContext& context);
std::optional<Section> parallel_section(const ReportContext& context);
std::optional<Section> vector_strip_section(const ReportContext& context);
std::optional<Section> hypergradient_norm_section(const ReportContext& context);
std::optional<Section> exploit_tree_section(const ReportContext& context);
std::optional<Section> pareto_section(const ReportContext& context);
std::optional<Section> best_trial_section(const ReportContext& context);
std::optional<Section> study_attributes_section(const ReportContext& context);

// Shared pieces of the sections.
std::string note_paragraph(const std::string& text);  // nothing for empty text
// A row of coloured swatches with labels.
std::string legend(const std::vector<std::pair<std::string, std::string>>& colour_and_label);
// "trial 12 COMPLETE value 0.25" (the tooltip of a trial's mark).
std::string trial_tooltip(const FrozenTrial& trial);
const char* state_colour(TrialState state);
// The hybrid sampler's modes: startup, explore, exploit.
const char* mode_colour(const std::optional<std::string>& mode);

}  // namespace hpo::cli
