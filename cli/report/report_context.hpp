#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "hpo/arg.hpp"
#include "report/hybrid_record.hpp"
#include "report/importance.hpp"
#include "report/param_layout.hpp"
#include "report/study_view.hpp"

namespace hpo::cli {

// Limits that keep a large study's plots readable and its page quick to render; what a
// limit leaves out is said on the page.
struct ReportOptions {
  HPO_ARG(std::size_t, max_lines) = 200;        // polylines (or arrows) per plot
  HPO_ARG(std::size_t, max_points) = 1000;      // markers per slice, tree or Pareto plot
  // Above this many trials the history's points have no tooltips (a smaller page).
  HPO_ARG(std::size_t, max_tooltips) = 2000;
  HPO_ARG(std::size_t, max_strip_rows) = 100;   // trials per vector heat strip
  HPO_ARG(std::size_t, n_slices) = 6;           // slice plots of the most important params
  HPO_ARG(std::size_t, n_parallel_axes) = 8;    // parameter axes of the parallel coordinates
};

// Everything the sections share, computed once per page.
struct ReportContext {
  const StudyView& study;
  ReportOptions options;
  ParamLayout layout;
  std::vector<const FrozenTrial*> complete;  // COMPLETE with finite values, best first
  std::vector<ParamImportance> importances;  // for the first objective
  std::vector<HybridRecord> hybrid;          // per entry of study.trials
  bool any_hybrid = false;

  // The `n` params that matter most: by importance when it could be estimated, else in
  // name order; a vector hyperparameter takes part with its most important element only.
  std::vector<std::string> top_params(std::size_t n) const;
  const HybridRecord& hybrid_of(const FrozenTrial& trial) const;
  const FrozenTrial* best() const { return complete.empty() ? nullptr : complete.front(); }
};

ReportContext make_report_context(const StudyView& study, const ReportOptions& options);

}  // namespace hpo::cli
