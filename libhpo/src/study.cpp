#include "hpo/study.hpp"

#include <cmath>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"

namespace hpo {
namespace {

std::string random_study_name() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  const char* hex = "0123456789abcdef";
  std::string name = "no-name-";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) name += '-';
    name += hex[gen() % 16];
  }
  return name;
}

// Records a running trial's heartbeat, then refreshes it every interval until destroyed.
// The first heartbeat is written before the constructor returns, i.e. before the
// objective starts: a trial without a heartbeat row is never failed as stale, and a
// first beat left to the thread could lose the race for the storage to the objective's
// own writes until the trial ended, so a worker killed meanwhile left it RUNNING forever.
class HeartbeatThread {
 public:
  HeartbeatThread(Storage& storage, std::int64_t trial_id, std::chrono::milliseconds interval)
      : thread_((storage.record_heartbeat(trial_id), [this, &storage, trial_id, interval] {
          std::unique_lock<std::mutex> lock(mutex_);
          while (!cv_.wait_for(lock, interval, [this] { return stopped_; })) {
            lock.unlock();
            try {
              storage.record_heartbeat(trial_id);
            } catch (const std::exception& e) {
              // A missed beat only risks the trial being failed as stale later; it must
              // not end the process, as an exception escaping a thread would.
              std::cerr << "hpo: heartbeat of trial id " << trial_id << " failed: " << e.what() << "\n";
            }
            lock.lock();
          }
        })) {}
  ~HeartbeatThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<StudyDirection>& directions) {
  bool strictly_better = false;
  for (std::size_t i = 0; i < directions.size(); ++i) {
    double x = directions[i] == StudyDirection::Maximize ? -a[i] : a[i];
    double y = directions[i] == StudyDirection::Maximize ? -b[i] : b[i];
    if (x > y) return false;
    if (x < y) strictly_better = true;
  }
  return strictly_better;
}

std::string join_values(const std::vector<double>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + dump_json(Json(values[i]));
  return s + "]";
}

}  // namespace

Study::Study(std::shared_ptr<Storage> storage, std::int64_t study_id, std::shared_ptr<Sampler> sampler,
             std::shared_ptr<Pruner> pruner)
    : storage_(std::move(storage)),
      study_id_(study_id),
      study_name_(storage_->get_study_name_from_id(study_id)),
      directions_(storage_->get_study_directions(study_id)),
      sampler_(sampler ? std::move(sampler) : std::make_shared<RandomSampler>()),
      pruner_(pruner ? std::move(pruner) : std::make_shared<MedianPruner>()),
      stop_requested_(std::make_shared<std::atomic<bool>>(false)) {}

StudyDirection Study::direction() const {
  if (is_multi_objective())
    throw Error("study '" + study_name_ + "' has " + std::to_string(directions_.size()) +
                " objectives; use directions() for a multi-objective study");
  return directions_[0];
}

std::optional<std::int64_t> Study::pop_waiting_trial_id() {
  for (const auto& t : storage_->get_all_trials(study_id_, std::vector<TrialState>{TrialState::Waiting})) {
    // Another worker may claim the same trial first (the call returns false) or even
    // finish it (the call throws): either way, try the next one.
    try {
      if (storage_->set_trial_state_values(t.trial_id, TrialState::Running)) return t.trial_id;
    } catch (const UpdateFinishedTrialError&) {
    }
  }
  return std::nullopt;
}

Trial Study::ask(const SearchSpace& fixed_distributions) {
  auto waiting = pop_waiting_trial_id();
  std::int64_t trial_id = waiting ? *waiting : storage_->create_new_trial(study_id_);
  sampler_->before_trial(*this, storage_->get_trial(trial_id));
  Trial trial(*this, trial_id);
  for (const auto& [name, distribution] : fixed_distributions) trial.suggest(name, distribution);
  return trial;
}

FrozenTrial Study::finish_trial(const FrozenTrial& trial, std::optional<std::vector<double>> values,
                                TrialState state, const std::string& fail_reason) {
  const std::int64_t trial_id = trial.trial_id;
  std::string reason = fail_reason;
  if (state == TrialState::Pruned) {
    values.reset();
    if (auto step = trial.last_step(); step && !std::isnan(trial.intermediate_values.at(*step)))
      values = std::vector<double>{trial.intermediate_values.at(*step)};
  } else if (state == TrialState::Fail) {
    values.reset();
  } else if (state == TrialState::Complete) {
    if (!values || values->size() != directions_.size()) {
      state = TrialState::Fail;
      reason = "the objective returned " + (values ? join_values(*values) : std::string("nothing")) +
               ", expected " + std::to_string(directions_.size()) + " value(s)";
      values.reset();
    } else {
      for (double v : *values)
        if (std::isnan(v)) {
          state = TrialState::Fail;
          reason = "the objective returned " + join_values(*values) + ", which contains NaN";
          values.reset();
          break;
        }
    }
  } else {
    throw ValueError("cannot finish trial " + std::to_string(trial.number) + " as " + to_string(state) +
                     ", expected COMPLETE, PRUNED or FAIL");
  }
  if (!reason.empty()) storage_->set_trial_system_attr(trial_id, "fail_reason", reason);
  try {
    sampler_->after_trial(*this, trial, state, values);
  } catch (...) {
    storage_->set_trial_state_values(trial_id, state, values.value_or(std::vector<double>{}));
    throw;
  }
  storage_->set_trial_state_values(trial_id, state, values.value_or(std::vector<double>{}));
  return storage_->get_trial(trial_id);
}

FrozenTrial Study::tell(int trial_number, const std::vector<double>& values, TrialState state,
                        bool skip_if_finished) {
  return tell(trial_number, values, state, skip_if_finished, nullptr);
}

FrozenTrial Study::tell(int trial_number, const std::vector<double>& values, TrialState state,
                        bool skip_if_finished, Trial* handle) {
  if (state == TrialState::Complete && values.size() != directions_.size())
    throw ValueError("told " + std::to_string(values.size()) + " value(s) for trial " +
                     std::to_string(trial_number) + ", expected " + std::to_string(directions_.size()) +
                     " (one per objective)");
  FrozenTrial trial =
      storage_->get_trial(storage_->get_trial_id_from_study_id_trial_number(study_id_, trial_number));
  if (is_finished(trial.state)) {
    if (skip_if_finished) return trial;
    throw UpdateFinishedTrialError("trial " + std::to_string(trial.number) + " is already " +
                                   to_string(trial.state) + ", expected a RUNNING or WAITING trial");
  }
  std::string reason;
  if (handle) {
    handle->finalize(state, reason);
    trial = handle->snapshot();  // with the finalizers' writes
  }
  return finish_trial(trial, values, state, reason);
}

FrozenTrial Study::tell(Trial& trial, double value) {
  return tell(trial.number(), std::vector<double>{value}, TrialState::Complete, false, &trial);
}
FrozenTrial Study::tell(Trial& trial, const std::vector<double>& values) {
  return tell(trial.number(), values, TrialState::Complete, false, &trial);
}
FrozenTrial Study::tell(Trial& trial, TrialState state) { return tell(trial.number(), {}, state, false, &trial); }

void Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (is_multi_objective())
    throw Error("study '" + study_name_ + "' has " + std::to_string(directions_.size()) +
                " objectives, so the objective must return that many values");
  run_trials([&objective](Trial& t) { return std::vector<double>{objective(t)}; }, options);
}

void Study::optimize(const MultiObjective& objective, const OptimizeOptions& options) {
  run_trials(objective, options);
}

void Study::stop() { stop_requested_->store(true); }

void Study::run_trials(const MultiObjective& objective, const OptimizeOptions& options) {
  if (options.n_trials() && *options.n_trials() < 0)
    throw ValueError("n_trials " + std::to_string(*options.n_trials()) + " is negative, expected >= 0");
  stop_requested_->store(false);
  auto start = Clock::now();
  for (int n = 0; !stop_requested_->load(); ++n) {
    if (options.n_trials() && n >= *options.n_trials()) break;
    if (options.timeout() && Clock::now() - start >= *options.timeout()) break;
    FrozenTrial finished = run_one_trial(objective, options);
    for (const auto& callback : options.callbacks()) callback(*this, finished);
  }
}

FrozenTrial Study::run_one_trial(const MultiObjective& objective, const OptimizeOptions& options) {
  auto heartbeat_interval = storage_->heartbeat_interval();
  if (heartbeat_interval) fail_stale_trials();
  Trial trial = ask();

  std::vector<double> values;
  TrialState state = TrialState::Complete;
  std::string reason;
  std::exception_ptr error;
  bool caught = false;
  {
    std::optional<HeartbeatThread> heartbeat;
    if (heartbeat_interval) heartbeat.emplace(*storage_, trial.trial_id(), *heartbeat_interval);
    try {
      values = objective(trial);
    } catch (const TrialPruned&) {
      state = TrialState::Pruned;
    } catch (const TrialFailed& e) {
      state = TrialState::Fail;
      reason = e.what();
    } catch (const std::exception& e) {
      state = TrialState::Fail;
      reason = std::string(e.what());
      error = std::current_exception();
      caught = options.catch_if() && options.catch_if()(e);
    } catch (...) {
      state = TrialState::Fail;
      reason = "the objective threw an exception that is not a std::exception";
      error = std::current_exception();
    }
    trial.finalize(state, reason);
  }
  // The trial's own handle saw every write of the objective: no need to read it back.
  FrozenTrial finished = finish_trial(trial.snapshot(), values, state, reason);
  if (error && !caught) std::rethrow_exception(error);
  return finished;
}

void Study::fail_stale_trials() {
  auto callback = storage_->failed_trial_callback();
  for (std::int64_t trial_id : storage_->get_stale_trial_ids(study_id_)) {
    try {
      storage_->set_trial_state_values(trial_id, TrialState::Fail);
    } catch (const UpdateFinishedTrialError&) {
      continue;  // another worker failed it first and runs the callback
    }
    if (callback) callback(*this, storage_->get_trial(trial_id));
  }
}

void Study::enqueue_trial(const ParamMap& params, const AttrMap& user_attrs, bool skip_if_exists) {
  if (skip_if_exists) {
    for (const auto& t : trials()) {
      auto fixed = t.system_attrs.find("fixed_params");
      const Json existing = fixed != t.system_attrs.end() ? fixed->second : Json(t.params);
      bool same = true;
      for (const auto& [name, value] : params)
        if (!existing.contains(name) || existing.at(name) != value) same = false;
      if (same) return;
    }
  }
  FrozenTrial waiting;
  waiting.state = TrialState::Waiting;
  waiting.system_attrs["fixed_params"] = Json(params);
  waiting.user_attrs = user_attrs;
  storage_->create_new_trial(study_id_, &waiting);
}

void Study::add_trial(const FrozenTrial& trial) {
  if (trial.state == TrialState::Running)
    throw ValueError("add_trial got a RUNNING trial, expected COMPLETE, PRUNED, FAIL or WAITING");
  if (trial.state == TrialState::Complete && trial.values.size() != directions_.size())
    throw ValueError("add_trial got a COMPLETE trial with " + std::to_string(trial.values.size()) +
                     " value(s), expected " + std::to_string(directions_.size()));
  for (const auto& [name, value] : trial.params) {
    auto d = trial.distributions.find(name);
    if (d == trial.distributions.end())
      throw ValueError("add_trial: parameter '" + name + "' has no distribution");
    if (!contains(d->second, to_internal(d->second, value)))
      throw ValueError("add_trial: parameter '" + name + "' = " + dump_json(value) +
                       " lies outside its distribution " + distribution_to_json(d->second));
  }
  storage_->create_new_trial(study_id_, &trial);
}

FrozenTrial Study::best_trial() const { return storage_->get_best_trial(study_id_); }
ParamMap Study::best_params() const { return best_trial().params; }
double Study::best_value() const { return best_trial().value(); }

std::vector<FrozenTrial> Study::best_trials() const {
  auto complete = trials(std::vector<TrialState>{TrialState::Complete});
  std::vector<FrozenTrial> front;
  for (const auto& t : complete) {
    bool dominated = false;
    for (const auto& other : complete)
      if (dominates(other.values, t.values, directions_)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(t);
  }
  return front;
}

std::vector<FrozenTrial> Study::trials(const std::optional<std::vector<TrialState>>& states) const {
  return storage_->get_all_trials(study_id_, states);
}

AttrMap Study::user_attrs() const { return storage_->get_study_user_attrs(study_id_); }
AttrMap Study::system_attrs() const { return storage_->get_study_system_attrs(study_id_); }
void Study::set_user_attr(const std::string& key, const Json& value) {
  storage_->set_study_user_attr(study_id_, key, value);
}
void Study::set_system_attr(const std::string& key, const Json& value) {
  storage_->set_study_system_attr(study_id_, key, value);
}

Study create_study(std::shared_ptr<Storage> storage, const StudyOptions& options) {
  if (!storage) throw ValueError("create_study got a null storage, expected hpo::open_storage(url)");
  if (options.directions().empty())
    throw ValueError("create_study got no directions, expected at least one");
  std::string name = options.study_name().empty() ? random_study_name() : options.study_name();
  std::int64_t study_id;
  try {
    study_id = storage->create_new_study(options.directions(), name);
  } catch (const DuplicatedStudyError&) {
    if (!options.load_if_exists()) throw;
    study_id = storage->get_study_id_from_name(name);
  }
  return Study(std::move(storage), study_id, options.sampler(), options.pruner());
}

Study load_study(std::shared_ptr<Storage> storage, const std::string& study_name,
                 const StudyOptions& options) {
  if (!storage) throw ValueError("load_study got a null storage, expected hpo::open_storage(url)");
  std::int64_t study_id = storage->get_study_id_from_name(study_name);
  return Study(std::move(storage), study_id, options.sampler(), options.pruner());
}

void delete_study(Storage& storage, const std::string& study_name) {
  storage.delete_study(storage.get_study_id_from_name(study_name));
}

std::vector<StudySummary> get_all_study_summaries(Storage& storage) {
  std::vector<StudySummary> out;
  for (const auto& s : storage.get_all_studies()) {
    StudySummary summary;
    summary.study_id = s.study_id;
    summary.study_name = s.study_name;
    summary.directions = s.directions;
    summary.user_attrs = s.user_attrs;
    summary.system_attrs = s.system_attrs;
    auto trials = storage.get_all_trials(s.study_id);
    summary.n_trials = static_cast<int>(trials.size());
    for (const auto& t : trials)
      if (t.datetime_start && (!summary.datetime_start || *t.datetime_start < *summary.datetime_start))
        summary.datetime_start = t.datetime_start;
    if (s.directions.size() == 1) {
      try {
        summary.best_trial = storage.get_best_trial(s.study_id);
      } catch (const NotFoundError&) {
      }
    }
    out.push_back(std::move(summary));
  }
  return out;
}

void RetryFailedTrialCallback::operator()(Study& study, const FrozenTrial& trial) const {
  AttrMap system_attrs = trial.system_attrs;
  system_attrs.erase("fail_reason");  // the retry has not failed
  if (!system_attrs.count("failed_trial")) system_attrs["failed_trial"] = trial.number;
  if (!system_attrs.count("retry_history")) system_attrs["retry_history"] = Json::array();
  system_attrs["retry_history"].push_back(trial.number);
  if (max_retry_ && static_cast<int>(system_attrs["retry_history"].size()) > *max_retry_) return;
  FrozenTrial retry;
  retry.state = TrialState::Waiting;
  retry.params = trial.params;
  retry.distributions = trial.distributions;
  retry.user_attrs = trial.user_attrs;
  retry.system_attrs = std::move(system_attrs);
  study.add_trial(retry);
}

}  // namespace hpo
