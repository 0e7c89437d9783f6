#pragma once

// The hypergradient engine in one include.

#include "hpo/hypergrad/conjugate_gradient.hpp"
#include "hpo/hypergrad/drmad.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "hpo/hypergrad/hyper_optimizer.hpp"
#include "hpo/hypergrad/hyperparameter.hpp"
#include "hpo/hypergrad/make_method.hpp"
#include "hpo/hypergrad/method.hpp"
#include "hpo/hypergrad/neumann.hpp"
#include "hpo/hypergrad/problem.hpp"
#include "hpo/hypergrad/t1t2.hpp"
#include "hpo/hypergrad/training_gradient.hpp"
#include "hpo/hypergrad/unrolled.hpp"
