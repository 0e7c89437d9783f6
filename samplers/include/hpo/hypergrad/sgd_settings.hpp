#pragma once

namespace hpo::hypergrad {

// The learning rate and momentum of one step of a torch::optim::SGD inner optimizer. The
// trajectory methods record them per step: a user's schedule may change them inside a
// window, and each reversed step must use the ones it was taken with.
struct SgdSettings {
  double learning_rate = 0;  // η
  double momentum = 0;       // μ
};

}  // namespace hpo::hypergrad
