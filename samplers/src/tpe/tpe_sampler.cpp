#include "hpo/samplers/tpe_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <numeric>

#include "hpo/error.hpp"
#include "hpo/storage.hpp"
#include "hpo/study.hpp"
#include "observed_values.hpp"
#include "parzen_estimator.hpp"
#include "search_spaces.hpp"
#include "trial_split.hpp"

namespace hpo {

namespace tpe {

int default_gamma(int n) { return std::min(static_cast<int>(std::ceil(0.1 * n)), 25); }

std::vector<double> default_weights(int n) {
  std::vector<double> w(static_cast<std::size_t>(std::max(n, 0)), 1.0);
  if (n > 25) {
    // numpy.linspace(1/n, 1, n − 25) for the oldest n − 25.
    const int ramp = n - 25;
    const double first = 1.0 / n;
    for (int i = 0; i < ramp; ++i)
      w[static_cast<std::size_t>(i)] = ramp == 1 ? first : first + (1.0 - first) * i / (ramp - 1);
  }
  return w;
}

}  // namespace tpe

namespace {

// Optuna's keys, so that Optuna workers sharing the study see our relative params.
const std::string kRelativeParamsKey = "tpe:relative_params";
constexpr std::size_t kSystemAttrMaxLength = 2045;  // RDB storages limit attribute values
// Trials being sampled at once in one process; more only costs a second read.
constexpr std::size_t kCacheCapacity = 64;
// Studies whose observed values are kept, most recently sampled first.
constexpr std::size_t kStudiesObserved = 8;

std::string join_names(const SearchSpace& space) {
  std::string key = "tpe:";
  for (const auto& entry : space) key += entry.first + ",";
  return key;
}

}  // namespace

// The values observed in one study, kept across the trials this sampler samples.
struct TPESampler::Observed {
  std::weak_ptr<Storage> storage;
  std::int64_t study_id = 0;
  std::mutex mutex;
  tpe::ObservedValues values;
};

// What one trial's sampling knows about the study: read once, then shared by the relative
// sampling and every independent suggestion of the trial.
class TPESampler::History {
 public:
  History(const Study& study, const FrozenTrial& current, const TPESamplerOptions& options,
          std::shared_ptr<Observed> observed_values)
      : observed(std::move(observed_values)) {
    std::vector<TrialState> states{TrialState::Complete, TrialState::Pruned};
    if (options.constant_liar()) states.push_back(TrialState::Running);
    // The storage's own snapshots of the finished trials (they never change): no copies.
    for (SharedTrial& t : study.trials_shared(states))
      if (t->number != current.number) trials.push_back(std::move(t));
    std::vector<const FrozenTrial*> finished;
    for (const auto& t : trials)
      if (t->state != TrialState::Running) finished.push_back(t.get());
    n_finished = static_cast<int>(finished.size());
    if (options.multivariate()) {
      if (options.group()) groups = tpe::group_decomposed_search_space(finished);
      else groups = {tpe::intersection_search_space(finished)};
      if (options.constant_liar()) add_relative_params_of_running_trials();
    }
    if (n_finished >= options.n_startup_trials()) {
      std::vector<const FrozenTrial*> all;
      for (const auto& t : trials) all.push_back(t.get());
      split = tpe::split_trials(all, options.gamma()(n_finished), study.directions());
      std::lock_guard<std::mutex> lock(observed->mutex);
      rows = observed->values.rows(trials);
    }
  }

  int n_finished = 0;
  std::vector<SharedTrial> trials;  // ordered by number
  // Once past the startup trials: the best gamma(n) and the rest.
  tpe::TrialSplit split;
  // Multivariate: the joint search spaces (one, or one per group).
  std::vector<SearchSpace> groups;
  // The study's observed values, and the rows of `trials` in them (once past the startup trials).
  std::shared_ptr<Observed> observed;
  std::vector<std::size_t> rows;

  // The internal values of a parameter in `trials`, NaN where unusable.
  std::vector<double> values(const std::string& name, const Distribution& distribution) const {
    std::lock_guard<std::mutex> lock(observed->mutex);
    return observed->values.values(trials, rows, name, distribution);
  }

 private:
  // A RUNNING trial has suggested only some of its relative params so far; the sampler
  // that drew them left them all in its system attributes.
  void add_relative_params_of_running_trials() {
    for (auto& t : trials) {
      if (t->state != TrialState::Running) continue;
      std::string text;
      for (int i = 0;; ++i) {
        auto chunk = t->system_attrs.find(kRelativeParamsKey + ":" + std::to_string(i));
        if (chunk == t->system_attrs.end() || !chunk->second.is_string()) break;
        text += chunk->second.get<std::string>();
      }
      if (text.empty()) continue;
      try {
        const Json relative = parse_json(text);
        if (!relative.is_object()) continue;
        auto with_relative = std::make_shared<FrozenTrial>(*t);
        for (const auto& [name, value] : relative.items()) with_relative->params.emplace(name, value);
        t = std::move(with_relative);
      } catch (const Error&) {
        // Another worker is still writing its chunks: use the params it has set.
      }
    }
  }
};

struct TPESampler::Cache {
  using Key = std::pair<const Storage*, std::int64_t>;  // (storage, trial id)
  std::mutex mutex;
  std::list<std::pair<Key, std::shared_ptr<const History>>> entries;  // oldest first
  std::list<std::shared_ptr<Observed>> observed;  // most recently used first

  std::shared_ptr<Observed> observed_in(const Study& study) {
    std::lock_guard<std::mutex> lock(mutex);
    observed.remove_if([](const auto& o) { return o->storage.expired(); });
    for (auto it = observed.begin(); it != observed.end(); ++it)
      if ((*it)->study_id == study.study_id() && (*it)->storage.lock() == study.storage()) {
        observed.splice(observed.begin(), observed, it);
        return observed.front();
      }
    auto fresh = std::make_shared<Observed>();
    fresh->storage = study.storage();
    fresh->study_id = study.study_id();
    observed.push_front(fresh);
    if (observed.size() > kStudiesObserved) observed.pop_back();
    return fresh;
  }

  void erase(const Key& key) {
    std::lock_guard<std::mutex> lock(mutex);
    entries.remove_if([&key](const auto& entry) { return entry.first == key; });
  }
};

TPESampler::TPESampler(const TPESamplerOptions& options)
    : options_(options), random_(options.seed()), cache_(std::make_unique<Cache>()) {
  if (options_.group() && !options_.multivariate())
    throw ValueError("TPESampler option group requires multivariate, got multivariate false");
  if (options_.n_startup_trials() < 0)
    throw ValueError("TPESampler option n_startup_trials " + std::to_string(options_.n_startup_trials()) +
                     " is negative, expected >= 0");
  if (options_.n_ei_candidates() < 1)
    throw ValueError("TPESampler option n_ei_candidates " + std::to_string(options_.n_ei_candidates()) +
                     " is not positive, expected >= 1");
  if (!(options_.prior_weight() > 0) || !std::isfinite(options_.prior_weight()))
    throw ValueError("TPESampler option prior_weight " + std::to_string(options_.prior_weight()) +
                     " is not a positive number");
  if (!options_.gamma() || !options_.weights())
    throw ValueError("TPESampler options gamma and weights must be set");
}

TPESampler::~TPESampler() = default;

std::shared_ptr<const TPESampler::History> TPESampler::history(const Study& study, const FrozenTrial& trial) {
  const Cache::Key key{study.storage().get(), trial.trial_id};
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    for (const auto& entry : cache_->entries)
      if (entry.first == key) return entry.second;
  }
  auto built = std::make_shared<const History>(study, trial, options_, cache_->observed_in(study));
  std::lock_guard<std::mutex> lock(cache_->mutex);
  cache_->entries.emplace_back(key, built);
  if (cache_->entries.size() > kCacheCapacity) cache_->entries.pop_front();
  return built;
}

void TPESampler::before_trial(Study& study, const FrozenTrial& trial) {
  // A trial id may come back (a new in-memory storage at a freed address): start afresh.
  cache_->erase({study.storage().get(), trial.trial_id});
}

void TPESampler::after_trial(Study& study, const FrozenTrial& trial, TrialState,
                             const std::optional<std::vector<double>>&) {
  cache_->erase({study.storage().get(), trial.trial_id});
}

SearchSpace TPESampler::infer_relative_search_space(const Study& study, const FrozenTrial& trial) {
  if (!options_.multivariate()) return {};
  SearchSpace space;
  for (const SearchSpace& group : history(study, trial)->groups) space.insert(group.begin(), group.end());
  return space;
}

std::map<std::string, double> TPESampler::sample_relative(const Study& study, const FrozenTrial& trial,
                                                          const SearchSpace& search_space) {
  if (search_space.empty()) return {};
  const auto h = history(study, trial);
  if (h->n_finished < options_.n_startup_trials()) return {};
  std::map<std::string, double> params;
  for (const SearchSpace& group : h->groups) {
    SearchSpace part;
    for (const auto& entry : group)
      if (search_space.count(entry.first)) part.insert(entry);
    if (!part.empty()) params.merge(sample(*h, trial, part, join_names(part)));
  }
  if (options_.constant_liar() && !params.empty()) {
    // Shown to the other workers while this trial runs (Optuna's chunked system attribute).
    Json external = Json::object();
    for (const auto& [name, value] : params) external[name] = to_external(search_space.at(name), value);
    const std::string text = dump_json(external);
    for (std::size_t i = 0; i < text.size(); i += kSystemAttrMaxLength)
      study.storage()->set_trial_system_attr(trial.trial_id,
                                             kRelativeParamsKey + ":" + std::to_string(i / kSystemAttrMaxLength),
                                             text.substr(i, kSystemAttrMaxLength));
  }
  return params;
}

double TPESampler::sample_independent(const Study& study, const FrozenTrial& trial, const std::string& param_name,
                                      const Distribution& distribution) {
  const auto h = history(study, trial);
  if (h->n_finished < options_.n_startup_trials())
    return random_.sample_independent(study, trial, param_name, distribution);
  SearchSpace space{{param_name, distribution}};
  return sample(*h, trial, space, join_names(space)).at(param_name);
}

std::map<std::string, double> TPESampler::sample(const History& h, const FrozenTrial& trial, const SearchSpace& space,
                                                 const std::string& key) const {
  const tpe::OrderedSpace ordered(space.begin(), space.end());
  // Observations of the trials that have every parameter of the space with a value inside
  // today's distribution (a dynamic range may have moved since).
  std::vector<std::vector<double>> values(ordered.size());
  for (std::size_t p = 0; p < ordered.size(); ++p) values[p] = h.values(ordered[p].first, ordered[p].second);
  auto observe = [&](const std::vector<std::size_t>& indices, std::vector<std::size_t>* kept) {
    std::vector<std::vector<double>> columns(ordered.size());
    for (std::size_t k = 0; k < indices.size(); ++k) {
      bool usable = true;
      for (std::size_t p = 0; p < ordered.size() && usable; ++p) usable = !std::isnan(values[p][indices[k]]);
      if (!usable) continue;
      for (std::size_t p = 0; p < ordered.size(); ++p) columns[p].push_back(values[p][indices[k]]);
      if (kept) kept->push_back(k);
    }
    return columns;
  };
  tpe::ParzenOptions parzen;
  parzen.prior_weight = options_.prior_weight();
  parzen.consider_magic_clip = options_.consider_magic_clip();
  parzen.consider_endpoints = options_.consider_endpoints();
  parzen.multivariate = options_.multivariate();
  parzen.weights = options_.weights();

  std::vector<std::size_t> kept;
  const auto below = observe(h.split.below, &kept);
  const std::vector<double>& all_weights = h.split.below_weights;
  std::vector<double> below_weights;
  for (std::size_t k : kept)
    if (!all_weights.empty()) below_weights.push_back(all_weights[k]);
  const tpe::ParzenEstimator l(below, ordered, parzen, all_weights.empty() ? nullptr : &below_weights);
  const tpe::ParzenEstimator g(observe(h.split.above, nullptr), ordered, parzen);

  std::uint64_t stream = 0;
  const auto candidates = l.sample([&] { return random_.uniform01(trial.number, key, ++stream); },
                                   options_.n_ei_candidates());
  const auto log_l = l.log_pdf(candidates), log_g = g.log_pdf(candidates);
  std::size_t best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const double score = log_l[i] - log_g[i];
    if (score > best_score) best_score = score, best = i;
  }
  std::map<std::string, double> out;
  for (std::size_t p = 0; p < ordered.size(); ++p) out.emplace(ordered[p].first, candidates[best][p]);
  return out;
}

}  // namespace hpo
