#include "study_access.hpp"

#include <filesystem>
#include <string>

#include "hpo/error.hpp"
#include "hpo/storage/open_storage.hpp"

namespace hpo::cli {

namespace {

// The database file of a sqlite:/// URL (open_storage checks the URL itself).
std::filesystem::path sqlite_file(const std::string& url) {
  const std::string prefix = "sqlite:///";
  return url.rfind(prefix, 0) == 0 ? std::filesystem::path(url.substr(prefix.size()))
                                   : std::filesystem::path();
}

}  // namespace

std::shared_ptr<Storage> open_cli_storage(const GlobalOptions& global, MissingDatabase missing,
                                          const SqliteStorageOptions& sqlite_options) {
  const std::filesystem::path file = sqlite_file(global.storage_url);
  if (missing == MissingDatabase::Refuse && !file.empty() && !std::filesystem::exists(file)) {
    throw NotFoundError("no study database at '" + file.string() + "' (--storage " +
                        global.storage_url + ")");
  }
  return open_storage(global.storage_url, sqlite_options);
}

Study load_cli_study(const GlobalOptions& global, std::shared_ptr<Sampler> sampler) {
  const std::string& name = global.required_study_name();
  return load_study(open_cli_storage(global, MissingDatabase::Refuse), name,
                    StudyOptions().sampler(std::move(sampler)));
}

}  // namespace hpo::cli
