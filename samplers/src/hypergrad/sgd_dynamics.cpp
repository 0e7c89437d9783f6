#include "sgd_dynamics.hpp"

#include <sstream>

#include "hpo/error.hpp"

namespace hpo::hypergrad {
namespace {

const torch::optim::SGDOptions& options_of(const torch::optim::OptimizerParamGroup& group) {
  return static_cast<const torch::optim::SGDOptions&>(group.options());
}

}  // namespace

bool is_sgd(const torch::optim::Optimizer& inner) {
  return dynamic_cast<const torch::optim::SGD*>(&inner) != nullptr;
}

SgdSettings sgd_settings(const torch::optim::Optimizer& inner, const std::string& method) {
  const std::string prefix = "method '" + method + "' ";
  if (!is_sgd(inner)) {
    throw ValueError(prefix +
                     "differentiates the SGD update and needs a torch::optim::SGD inner "
                     "optimizer; use 'neumann' or 'cg' with other optimizers");
  }
  SgdSettings settings;
  bool first = true;
  for (const auto& group : inner.param_groups()) {
    const torch::optim::SGDOptions& options = options_of(group);
    if (options.dampening() != 0 || options.nesterov() || options.weight_decay() != 0) {
      std::ostringstream message;
      message << prefix << "models SGD without dampening, Nesterov or built-in weight decay; got "
              << "dampening=" << options.dampening() << " nesterov=" << options.nesterov()
              << " weight_decay=" << options.weight_decay()
              << " (put a fixed weight decay into train_loss instead)";
      throw ValueError(message.str());
    }
    if (!first && (options.lr() != settings.learning_rate ||
                   options.momentum() != settings.momentum)) {
      throw ValueError(prefix + "needs one learning rate and momentum for all parameter groups");
    }
    settings = SgdSettings{options.lr(), options.momentum()};
    first = false;
  }
  return settings;
}

TensorList momentum_buffers(const torch::optim::Optimizer& inner, const TensorList& parameters) {
  TensorList buffers;
  buffers.reserve(parameters.size());
  const auto& state = inner.state();
  for (const torch::Tensor& w : parameters) {
    const auto found = state.find(c10::guts::to_string(w.unsafeGetTensorImpl()));
    torch::Tensor buffer;
    if (found != state.end()) {
      buffer = static_cast<const torch::optim::SGDParamState&>(*found->second).momentum_buffer();
    }
    buffers.push_back(buffer.defined() ? buffer.detach().clone() : torch::zeros_like(w));
  }
  return buffers;
}

void set_learning_rate(torch::optim::Optimizer& inner, double learning_rate) {
  for (auto& group : inner.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(learning_rate);
  }
}

void set_momentum(torch::optim::Optimizer& inner, double momentum) {
  for (auto& group : inner.param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).momentum(momentum);
  }
}

}  // namespace hpo::hypergrad
