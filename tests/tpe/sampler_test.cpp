// TPESampler inside studies: values inside their distributions, seeded reproducibility
// (across a resumed study too), the constant liar, one read of the trials per trial.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "hpo/error.hpp"
#include "hpo/samplers/tpe_sampler.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

std::shared_ptr<TPESampler> tpe(TPESamplerOptions options) {
  return std::make_shared<TPESampler>(options);
}

// Every kind of distribution; the value prefers x ≈ 0.3, n ≈ 7, lr ≈ 1e-2, "b".
double mixed_objective(Trial& t) {
  const double x = t.suggest_float("x", -1, 1);
  const double q = t.suggest_float("q", 0, 1, FloatOptions().step(0.25));
  const double lr = t.suggest_float("lr", 1e-5, 1, FloatOptions().log(true));
  const auto n = t.suggest_int("n", 0, 20);
  const auto s = t.suggest_int("s", 1, 31, IntOptions().step(3));
  const auto units = t.suggest_int("units", 1, 1024, IntOptions().log(true));
  const Json c = t.suggest_categorical("c", {"a", "b", "c"});
  return std::pow(x - 0.3, 2) + q + std::pow(std::log10(lr) + 2, 2) + std::abs(static_cast<double>(n) - 7) +
         static_cast<double>(s) / 31 + std::abs(std::log2(static_cast<double>(units)) - 5) +
         (c == Json("b") ? 0.0 : 1.0);
}

std::vector<TPESamplerOptions> all_modes() {
  return {TPESamplerOptions().seed(1), TPESamplerOptions().seed(1).multivariate(true),
          TPESamplerOptions().seed(1).multivariate(true).group(true),
          TPESamplerOptions().seed(1).multivariate(true).constant_liar(true)};
}

TEST(TPESampler, ValuesStayInsideTheirDistributions) {
  for (const auto& options : all_modes()) {
    Study study = create_study(std::make_shared<InMemoryStorage>(), StudyOptions().sampler(tpe(options)));
    study.optimize(mixed_objective, OptimizeOptions().n_trials(40));
    for (const FrozenTrial& t : study.trials()) {
      ASSERT_EQ(t.state, TrialState::Complete);
      ASSERT_EQ(t.params.size(), 7u);
      for (const auto& [name, d] : t.distributions)
        EXPECT_TRUE(contains(d, t.internal_param(name))) << name << " = " << dump_json(t.params.at(name));
    }
    // The model works: better than the startup trials' best.
    double startup_best = 1e300;
    for (const FrozenTrial& t : study.trials())
      if (t.number < 10) startup_best = std::min(startup_best, t.value());
    EXPECT_LT(study.best_value(), startup_best);
  }
}

TEST(TPESampler, IsTheDefaultSamplerOfCreateStudy) {
  Study study = create_study(std::make_shared<InMemoryStorage>());
  ASSERT_NE(dynamic_cast<TPESampler*>(study.sampler().get()), nullptr);
  EXPECT_EQ(dynamic_cast<TPESampler&>(*study.sampler()).options().n_startup_trials(), 10);
  EXPECT_EQ(dynamic_cast<TPESampler&>(*study.sampler()).options().n_ei_candidates(), 24);
}

TEST(TPESampler, RejectsInconsistentOptions) {
  EXPECT_THROW(TPESampler(TPESamplerOptions().group(true)), ValueError);
  EXPECT_THROW(TPESampler(TPESamplerOptions().n_ei_candidates(0)), ValueError);
  EXPECT_THROW(TPESampler(TPESamplerOptions().n_startup_trials(-1)), ValueError);
  EXPECT_THROW(TPESampler(TPESamplerOptions().prior_weight(0)), ValueError);
}

std::vector<ParamMap> params_of(const Study& study) {
  std::vector<ParamMap> out;
  for (const FrozenTrial& t : study.trials()) out.push_back(t.params);
  return out;
}

TEST(TPESampler, SeededRunsReproduceAlsoAcrossAResumedStudy) {
  const auto dir = std::filesystem::temp_directory_path() / ("hpo_tpe_resume_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& options : all_modes()) {
    const std::string whole = (dir / "whole.db").string(), parts = (dir / "parts.db").string();
    std::filesystem::remove(whole);
    std::filesystem::remove(parts);
    const auto named = [&](std::uint64_t seed) {
      return StudyOptions().study_name("s").load_if_exists(true).sampler(tpe(TPESamplerOptions(options).seed(seed)));
    };
    Study uninterrupted = create_study(std::make_shared<SqliteStorage>(whole), named(7));
    uninterrupted.optimize(mixed_objective, OptimizeOptions().n_trials(30));
    // 12 trials, then a new storage connection and a new sampler (as a new process has).
    create_study(std::make_shared<SqliteStorage>(parts), named(7)).optimize(mixed_objective, OptimizeOptions().n_trials(12));
    Study resumed = create_study(std::make_shared<SqliteStorage>(parts), named(7));
    resumed.optimize(mixed_objective, OptimizeOptions().n_trials(18));
    EXPECT_EQ(params_of(uninterrupted), params_of(resumed));

    Study other = create_study(std::make_shared<InMemoryStorage>(), named(8));
    other.optimize(mixed_objective, OptimizeOptions().n_trials(30));
    EXPECT_NE(params_of(uninterrupted), params_of(other));
  }
  std::filesystem::remove_all(dir);
}

// Four workers ask while the others' trials still run.
std::set<std::int64_t> parallel_proposals(bool constant_liar) {
  Study study = create_study(std::make_shared<InMemoryStorage>(),
                             StudyOptions().sampler(tpe(TPESamplerOptions().seed(3).constant_liar(constant_liar))));
  const SearchSpace space{{"n", IntDistribution(0, 40)}};
  for (int i = 0; i < 30; ++i) {
    Trial t = study.ask(space);
    study.tell(t, std::pow(t.params().at("n").get<double>() - 20, 2));
  }
  std::set<std::int64_t> proposals;
  for (int worker = 0; worker < 4; ++worker) proposals.insert(study.ask(space).params().at("n").get<std::int64_t>());
  return proposals;
}

TEST(TPESampler, ConstantLiarMakesParallelWorkersProposeDistinctPoints) {
  EXPECT_EQ(parallel_proposals(true).size(), 4u);
  // Without it, the workers crowd the same best point.
  EXPECT_LT(parallel_proposals(false).size(), 4u);
}

TEST(TPESampler, ConstantLiarSharesRelativeParamsWithOtherWorkers) {
  Study study = create_study(std::make_shared<InMemoryStorage>(),
                             StudyOptions().sampler(tpe(TPESamplerOptions().seed(3).multivariate(true).constant_liar(true))));
  study.optimize(mixed_objective, OptimizeOptions().n_trials(12));
  Trial running = study.ask();
  const auto attrs = study.storage()->get_trial(running.trial_id()).system_attrs;
  ASSERT_TRUE(attrs.count("tpe:relative_params:0"));
  const Json relative = parse_json(attrs.at("tpe:relative_params:0").get<std::string>());
  EXPECT_EQ(relative.size(), 7u);
  // The objective's suggestions take exactly those values.
  EXPECT_EQ(Json(running.suggest_categorical("c", {"a", "b", "c"})), relative.at("c"));
  EXPECT_EQ(running.suggest_float("x", -1, 1), relative.at("x").get<double>());
}

class CountingStorage : public InMemoryStorage {
 public:
  std::vector<SharedTrial> get_all_trials_shared(std::int64_t study_id,
                                                 const std::optional<std::vector<TrialState>>& states) override {
    if (states && std::count(states->begin(), states->end(), TrialState::Complete)) ++reads;
    return InMemoryStorage::get_all_trials_shared(study_id, states);
  }
  std::atomic<int> reads{0};
};

TEST(TPESampler, ReadsTheFinishedTrialsOncePerTrial) {
  for (const auto& options : all_modes()) {
    auto storage = std::make_shared<CountingStorage>();
    Study study = create_study(storage, StudyOptions().sampler(tpe(options)));
    study.optimize(mixed_objective, OptimizeOptions().n_trials(25));
    EXPECT_EQ(storage->reads.load(), 25);  // seven parameters each
  }
}

TEST(TPESampler, MultiObjectiveStudiesSplitByNonDomination) {
  Study study = create_study(std::make_shared<InMemoryStorage>(),
                             StudyOptions()
                                 .directions({StudyDirection::Minimize, StudyDirection::Minimize})
                                 .sampler(tpe(TPESamplerOptions().seed(5))));
  // Two objectives in conflict along x; y should go to 0 for both.
  study.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", -1, 1);
        return std::vector<double>{x * x + y * y, (1 - x) * (1 - x) + y * y};
      },
      OptimizeOptions().n_trials(60));
  double late = 0, early = 0;
  for (const FrozenTrial& t : study.trials()) {
    const double y = std::abs(t.internal_param("y"));
    (t.number < 10 ? early : late) += y / (t.number < 10 ? 10 : 50);
  }
  EXPECT_LT(late, early);
  EXPECT_GE(study.best_trials().size(), 3u);
}

}  // namespace
}  // namespace hpo
