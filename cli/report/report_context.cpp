#include "report/report_context.hpp"

#include <algorithm>
#include <set>

namespace hpo::cli {

std::vector<std::string> ReportContext::top_params(std::size_t n) const {
  std::vector<std::string> ranked;
  for (const ParamImportance& importance : importances) ranked.push_back(importance.param);
  for (const std::string& name : layout.all_names()) {
    if (std::find(ranked.begin(), ranked.end(), name) == ranked.end()) ranked.push_back(name);
  }
  std::vector<std::string> top;
  std::set<std::string> vectors_taken;
  for (const std::string& name : ranked) {
    if (top.size() == n) break;
    const auto vector = layout.vector_of.find(name);
    if (vector != layout.vector_of.end() && !vectors_taken.insert(vector->second).second) continue;
    top.push_back(name);
  }
  return top;
}

const HybridRecord& ReportContext::hybrid_of(const FrozenTrial& trial) const {
  return hybrid[static_cast<std::size_t>(&trial - study.trials.data())];
}

ReportContext make_report_context(const StudyView& study, const ReportOptions& options) {
  ReportContext context{study, options, param_layout(study.trials), complete_trials_best_first(study), {}, {}, false};
  context.importances = first_order_importances(context.complete, context.layout.all_names());
  for (const FrozenTrial& trial : study.trials) {
    context.hybrid.push_back(read_hybrid_record(trial.system_attrs));
    context.any_hybrid = context.any_hybrid || !context.hybrid.back().empty();
  }
  return context;
}

}  // namespace hpo::cli
