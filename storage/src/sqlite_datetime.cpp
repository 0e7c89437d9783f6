#include "sqlite_datetime.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include "hpo/error.hpp"

namespace hpo::sqlite {

std::string format_datetime(TimePoint time) {
  const auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm local{};
  localtime_r(&t, &local);
  char text[96];  // room for any int fields, to keep -Wformat-truncation quiet
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", local.tm_year + 1900,
                local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<long long>(micros.count()));
  return text;
}

TimePoint parse_datetime(std::string_view text) {
  std::tm local{};
  char separator = 0;
  int consumed = 0;
  const std::string s(text);
  const int fields = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &local.tm_year,
                                 &local.tm_mon, &local.tm_mday, &separator, &local.tm_hour,
                                 &local.tm_min, &local.tm_sec, &consumed);
  std::int64_t micros = 0;
  bool ok = fields == 7 && (separator == ' ' || separator == 'T');
  if (ok && static_cast<std::size_t>(consumed) < s.size()) {
    // A fraction: scale its first six digits to microseconds, ignore further digits.
    ok = s[consumed] == '.' && static_cast<std::size_t>(consumed) + 1 < s.size();
    std::int64_t scale = 100000;
    for (std::size_t i = consumed + 1; ok && i < s.size(); ++i) {
      ok = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
      if (ok && scale > 0) {
        micros += (s[i] - '0') * scale;
        scale /= 10;
      }
    }
  }
  if (!ok) {
    throw StorageError("cannot read the datetime '" + s +
                       "'; expected the form YYYY-MM-DD HH:MM:SS.ffffff");
  }
  local.tm_year -= 1900;
  local.tm_mon -= 1;
  local.tm_isdst = -1;  // naive local time: let the C library decide daylight saving
  const std::time_t t = std::mktime(&local);
  return Clock::from_time_t(t) + std::chrono::microseconds(micros);
}

}  // namespace hpo::sqlite
