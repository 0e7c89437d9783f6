#include "hpo/hypergrad/t1t2.hpp"

#include "implicit_method.hpp"
#include "sgd_dynamics.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {

void T1T2::check_inner_optimizer(const torch::optim::Optimizer& inner) const {
  sgd_settings(inner, name());
}

HyperGradient T1T2::hypergradient(const HyperStepContext& context) {
  const double eta = sgd_settings(context.inner, name()).learning_rate;
  double learning_rate_gradient = 0;
  HyperGradient result =
      implicit_hypergradient(context, [&](TrainingGradient& graph, const TensorList& v) {
        learning_rate_gradient = -tensor_list::dot(v, graph.gradient());
        return tensor_list::scaled(v, eta);
      });
  result.learning_rate = learning_rate_gradient;
  return result;
}

}  // namespace hpo::hypergrad
