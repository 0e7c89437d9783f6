#pragma once

#include <memory>

#include "global_options.hpp"
#include "hpo/storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"

namespace hpo::cli {

enum class MissingDatabase { Create, Refuse };

// The storage that --storage names. With MissingDatabase::Refuse a SQLite file that does
// not exist is an error (hpo::NotFoundError) instead of a new empty database, so that
// commands about existing studies never create files.
// `sqlite_options` apply to a SQLite storage (heartbeats, schema of a new file).
std::shared_ptr<Storage> open_cli_storage(const GlobalOptions& global, MissingDatabase missing,
                                          const SqliteStorageOptions& sqlite_options = {});

// The study --study-name names, in a storage that must already exist.
Study load_cli_study(const GlobalOptions& global, std::shared_ptr<Sampler> sampler = nullptr);

}  // namespace hpo::cli
