#include "hpo/hypergrad/unrolled.hpp"

#include <string>

#include "hpo/error.hpp"
#include "sgd_adjoint.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {

Unrolled::Unrolled(UnrolledOptions options) : options_(std::move(options)) {
  if (options_.steps() < 0) {
    throw ValueError("unrolled: steps must be >= 0, got " + std::to_string(options_.steps()));
  }
}

Settings Unrolled::settings() const { return {{"steps", static_cast<double>(options_.steps())}}; }

void Unrolled::check_inner_optimizer(const torch::optim::Optimizer& inner) const {
  sgd_settings(inner, name());
}

void Unrolled::before_inner_step(const InnerStepView& step) {
  trajectory_.push_back(RecordedStep{tensor_list::detached_clone(step.problem.parameters),
                                     momentum_buffers(step.inner, step.problem.parameters),
                                     step.batch, sgd_settings(step.inner, name())});
  if (options_.steps() > 0 && static_cast<int64_t>(trajectory_.size()) > options_.steps()) {
    trajectory_.pop_front();
  }
}

HyperGradient Unrolled::hypergradient(const HyperStepContext& context) {
  // The window ends here whether or not the hyper-step succeeds.
  const std::deque<RecordedStep> trajectory = std::move(trajectory_);
  trajectory_.clear();
  throw_if_empty_window(name(), static_cast<int64_t>(trajectory.size()));
  const ValidationGradient validation = validation_gradient(context.problem, context.counters);
  SgdAdjoint adjoint(validation);
  {
    ScopedWeights weights(context.problem.parameters);
    for (auto step = trajectory.rbegin(); step != trajectory.rend(); ++step) {
      weights.set(step->weights);
      TrainingGradient graph(context.problem, step->batch, context.counters);
      adjoint.reverse_step(graph, step->sgd, &step->velocity);
    }
  }

  HyperGradient result;
  result.validation_loss = validation.loss;
  result.d_theta = adjoint.d_theta();
  result.learning_rate = adjoint.learning_rate();
  result.momentum = adjoint.momentum();
  return result;
}

}  // namespace hpo::hypergrad
