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
  if (window_steps_ == 0) window_start_ = tensor_list::detached_clone(step.problem.parameters);
  ++window_steps_;
}

HyperGradient DrMAD::hypergradient(const HyperStepContext& context) {
  // The window ends here whether or not the hyper-step succeeds.
  const int64_t steps = window_steps_;
  const TensorList window_start = std::move(window_start_);
  window_steps_ = 0;
  window_start_.clear();

  const SgdSettings sgd = sgd_settings(context.inner, name());
  const ValidationGradient validation = validation_gradient(context.problem, context.counters);
  SgdAdjoint adjoint(validation, sgd);
  const int64_t points = options_.points() > 0 ? std::min(options_.points(), steps) : steps;
  {
    ScopedWeights weights(context.problem.parameters);
    const TensorList& window_end = weights.original();
    for (int64_t t = steps - 1; t >= steps - points; --t) {
      const double beta = static_cast<double>(t) / static_cast<double>(steps);
      TensorList point = tensor_list::scaled(window_start, 1.0 - beta);
      tensor_list::add_scaled(point, window_end, beta);
      weights.set(point);
      TrainingGradient graph(context.problem, context.problem.train_loss, context.counters);
      adjoint.reverse_step(graph);
    }
  }

  HyperGradient result;
  result.validation_loss = validation.loss;
  result.hyperparameters = adjoint.hyperparameters();
  return result;
}

}  // namespace hpo::hypergrad
