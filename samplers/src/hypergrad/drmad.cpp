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

Settings DrMAD::settings() const {
  return {{"points", static_cast<double>(options_.points())}, {"keep_window", options_.keep_window() ? 1.0 : 0.0}};
}

void DrMAD::check_inner_optimizer(const torch::optim::Optimizer& inner) const {
  sgd_settings(inner, name());
}

void DrMAD::before_inner_step(const InnerStepView& step) {
  if (window_steps_++ == 0) window_start_ = tensor_list::detached_clone(step.problem.parameters);
  steps_.push_back({step.batch, sgd_settings(step.inner, name())});
  if (options_.points() > 0 && static_cast<int64_t>(steps_.size()) > options_.points()) steps_.pop_front();
}

HyperGradient DrMAD::hypergradient(const HyperStepContext& context) {
  throw_if_empty_window(name(), window_steps_);
  // Unless it is kept, the window ends here whether or not the hyper-step succeeds.
  const int64_t steps = window_steps_;
  const std::deque<RecordedStep> recorded = options_.keep_window() ? steps_ : std::move(steps_);
  const TensorList window_start = options_.keep_window() ? window_start_ : std::move(window_start_);
  if (!options_.keep_window()) {
    steps_.clear();
    window_start_.clear();
    window_steps_ = 0;
  }

  const ValidationGradient validation = validation_gradient(context.problem, context.counters);
  SgdAdjoint adjoint(validation);
  const auto points = static_cast<int64_t>(recorded.size());
  {
    ScopedWeights weights(context.problem.parameters);
    const TensorList& window_end = weights.original();
    for (int64_t i = points - 1; i >= 0; --i) {
      const double beta = static_cast<double>(steps - points + i) / static_cast<double>(steps);
      TensorList point = tensor_list::scaled(window_start, 1.0 - beta);
      tensor_list::add_scaled(point, window_end, beta);
      weights.set(point);
      const RecordedStep& step = recorded[static_cast<size_t>(i)];
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
