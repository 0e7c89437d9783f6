#pragma once

// The public API that needs no LibTorch: studies, trials, distributions, samplers and
// pruners of the core, and the storages. The LibTorch part is under hpo/hypergrad/ and
// hpo/hybrid/.

#include "hpo/distributions.hpp"
#include "hpo/error.hpp"
#include "hpo/frozen_trial.hpp"
#include "hpo/json.hpp"
#include "hpo/pruner.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/retry_failed_trial_callback.hpp"
#include "hpo/samplers/tpe_sampler.hpp"
#include "hpo/sampler.hpp"
#include "hpo/storage.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/storage/postgres_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "hpo/suggest_options.hpp"
#include "hpo/trial.hpp"
#include "hpo/trial_state.hpp"
