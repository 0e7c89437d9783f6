#pragma once

// Debian's Chromium, headless, driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in a NUL byte on file descriptors 3 and
// 4). The protocol reports console messages, uncaught exceptions and every network
// request as events, and answers DOM queries and screenshots, with no WebSocket client,
// driver or npm package needed.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "hpo/json.hpp"

namespace hpo::report_test {

// What a page did since it was opened.
struct PageEvents {
  std::vector<std::string> console_errors;  // console.error/assert, uncaught exceptions, error log entries
  std::vector<std::string> requests;        // every URL requested, the page's own included
};

class HeadlessChromium {
 public:
  // Starts /usr/bin/chromium with a fresh profile and a viewport of width × height.
  HeadlessChromium(int width = 1280, int height = 1600);
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  // Navigates and waits for the load event (and a moment for late events); returns how
  // long loading took. Throws std::runtime_error on a timeout or a navigation error.
  std::chrono::duration<double> open(const std::string& url);
  // The value of a JavaScript expression (a promise is awaited).
  Json evaluate(const std::string& expression);
  // A PNG of the viewport.
  std::vector<unsigned char> screenshot();
  // Events since the last open(); pumps pending messages first.
  const PageEvents& events();

 private:
  Json call(const std::string& method, const Json& params, bool in_page = true);
  void send(const Json& message);
  // Reads messages until one satisfies `done` or the deadline passes (false).
  template <typename Done>
  bool pump(std::chrono::steady_clock::time_point deadline, Done done);
  void note_event(const Json& message);

  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::filesystem::path profile_;
  std::string buffer_;
  std::string session_;
  int next_id_ = 1;
  bool loaded_ = false;
  PageEvents events_;
};

// True when the image is (nearly) one colour: fewer than 1% of its pixels differ from the
// most common colour. Throws std::runtime_error when `png` is not a PNG.
bool is_blank_png(const std::vector<unsigned char>& png);

}  // namespace hpo::report_test
