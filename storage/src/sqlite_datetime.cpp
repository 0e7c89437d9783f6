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
  // mktime re-reads the time zone (a stat of /etc/localtime) on every call, which
  // dominated loading a large study; trials of one study mostly share their hour, and
  // the UTC offset only changes on (at most) hour boundaries in practice.
  thread_local std::string cached_hour;
  thread_local std::time_t cached_hour_start = 0;
  const std::string hour = s.substr(0, 13);  // "YYYY-MM-DD HH"
  if (hour != cached_hour) {
    std::tm start = local;
    start.tm_year -= 1900;
    start.tm_mon -= 1;
    start.tm_min = 0;
    start.tm_sec = 0;
    start.tm_isdst = -1;  // naive local time: let the C library decide daylight saving
    cached_hour_start = std::mktime(&start);
    cached_hour = hour;
  }
  const std::time_t t = cached_hour_start + local.tm_min * 60 + local.tm_sec;
  return Clock::from_time_t(t) + std::chrono::microseconds(micros);
}

}  // namespace hpo::sqlite
