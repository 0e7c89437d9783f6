#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hpo/frozen_trial.hpp"

namespace hpo::sqlite {

// Optuna 3.x-4.x store datetimes as naive local time in the text form SQLAlchemy writes,
// "YYYY-MM-DD HH:MM:SS.ffffff": space separator and exactly six fraction digits (Optuna
// 3.1 reads fewer digits as microseconds, so ".5" would come back as 5 µs).
std::string format_datetime(TimePoint time);

// Reads what format_datetime writes, and also no fraction or 1-9 fraction digits and a
// 'T' separator (other writers). Throws hpo::StorageError for anything else.
TimePoint parse_datetime(std::string_view text);

// SQL expression for the current UTC time with six fraction digits. Heartbeats use
// SQLite's clock in UTC, as Optuna's CURRENT_TIMESTAMP does, so that workers on one file
// compare times from the same clock.
inline constexpr const char* kSqlUtcNow = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'";

}  // namespace hpo::sqlite
