#pragma once

#include <stdexcept>
#include <string>

namespace hpo {

// Root of every exception hpo throws on purpose. Messages name the offending value and
// what was expected, so that the CLI can print them as one line.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An argument has a value outside what the function accepts (bad bounds, bad JSON...).
class ValueError : public Error {
 public:
  using Error::Error;
};

// A study, trial or attribute that was asked for does not exist.
class NotFoundError : public Error {
 public:
  using Error::Error;
};

// create_study with a name that is already taken (and load_if_exists not set).
class DuplicatedStudyError : public Error {
 public:
  using Error::Error;
};

// An attempt to change a trial that is already COMPLETE, PRUNED or FAIL.
class UpdateFinishedTrialError : public Error {
 public:
  using Error::Error;
};

// The storage backend failed, or refused a file (of another format, an unknown schema version...).
class StorageError : public Error {
 public:
  using Error::Error;
};

// Thrown by an objective to end its trial as PRUNED (Optuna's optuna.TrialPruned).
class TrialPruned : public Error {
 public:
  TrialPruned() : Error("trial was pruned") {}
  using Error::Error;
};

// Thrown by an objective (or by what it calls) to end its trial as FAIL, with what() as
// the recorded reason, while optimize() goes on with the next trial: the trial's
// configuration failed (a diverging hypergradient, say), not the program.
class TrialFailed : public Error {
 public:
  using Error::Error;
};

}  // namespace hpo
