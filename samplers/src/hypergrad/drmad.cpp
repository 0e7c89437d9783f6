#include "hpo/hypergrad/drmad.hpp"

#include <algorithm>
#include <string>

#include "hpo/error.hpp"
#include "sgd_adjoint.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {

DrMAD::DrMAD(DrMADOptions options) : options_(std::move(options)) {
  if (options_.points() < 0) {
    throw ValueError("drmad: points must be >= 0, got " + std::to_string(options_.points()));
  }
}

Settings DrMAD::settings() const { return {{"points", static_cast<double>(options_.points())}}; }

void DrMAD::check_inner_optimizer(const torch::optim::Optimizer& inner) const {
  sgd_settings(inner, name());
}

void DrMAD::before_inner_step(const InnerStepView& step) {
  if (steps_.empty()) window_start_ = tensor_list::detached_clone(step.problem.parameters);
  steps_.push_back({step.batch, sgd_settings(step.inner, name())});
}

HyperGradient DrMAD::hypergradient(const HyperStepContext& context) {
  // The window ends here whether or not the hyper-step succeeds.
  const std::vector<RecordedStep> recorded = std::move(steps_);
  const TensorList window_start = std::move(window_start_);
  steps_.clear();
  window_start_.clear();
  const auto steps = static_cast<int64_t>(recorded.size());
  throw_if_empty_window(name(), steps);

  const ValidationGradient validation = validation_gradient(context.problem, context.counters);
  SgdAdjoint adjoint(validation);
  const int64_t points = options_.points() > 0 ? std::min(options_.points(), steps) : steps;
  {
    ScopedWeights weights(context.problem.parameters);
    const TensorList& window_end = weights.original();
    for (int64_t t = steps - 1; t >= steps - points; --t) {
      const double beta = static_cast<double>(t) / static_cast<double>(steps);
      TensorList point = tensor_list::scaled(window_start, 1.0 - beta);
      tensor_list::add_scaled(point, window_end, beta);
      weights.set(point);
      const RecordedStep& step = recorded[static_cast<size_t>(t)];
      TrainingGradient graph(context.problem, step.batch, context.counters);
      adjoint.reverse_step(graph, step.sgd);
    }
  }

  HyperGradient result;
  result.validation_loss = validation.loss;
  result.d_theta = adjoint.d_theta();
  return result;
}

}  // namespace hpo::hypergrad
