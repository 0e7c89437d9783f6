#include "headless_chromium.hpp"

#include <fcntl.h>
#include <png.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <stdexcept>
#include <thread>

namespace hpo::report_test {

namespace {

constexpr auto kTimeout = std::chrono::seconds(60);
constexpr auto kSettle = std::chrono::milliseconds(300);

std::vector<unsigned char> base64_decode(const std::string& text) {
  std::vector<unsigned char> out;
  unsigned value = 0;
  int bits = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= 'A' && c <= 'Z') digit = c - 'A';
    else if (c >= 'a' && c <= 'z') digit = c - 'a' + 26;
    else if (c >= '0' && c <= '9') digit = c - '0' + 52;
    else if (c == '+') digit = 62;
    else if (c == '/') digit = 63;
    if (digit < 0) continue;
    value = (value << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((value >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

HeadlessChromium::HeadlessChromium(int width, int height) {
  char profile[] = "/tmp/hpo-chromium-XXXXXX";
  if (!::mkdtemp(profile)) throw std::runtime_error("cannot make a profile folder");
  profile_ = profile;
  int commands[2], replies[2];
  if (::pipe(commands) != 0 || ::pipe(replies) != 0) throw std::runtime_error("cannot make pipes");
  pid_ = ::fork();
  if (pid_ == 0) {
    // The browser reads commands on fd 3 and writes replies on fd 4.
    ::dup2(commands[0], 3);
    ::dup2(replies[1], 4);
    for (int fd : {commands[0], commands[1], replies[0], replies[1]}) {
      if (fd > 4) ::close(fd);
    }
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string profile_option = "--user-data-dir=" + profile_.string();
    const std::string window = "--window-size=" + std::to_string(width) + "," + std::to_string(height);
    std::vector<std::string> argv = {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", "--disable-extensions",
                                     "--remote-debugging-pipe", profile_option, window, "about:blank"};
    std::vector<char*> pointers;
    for (std::string& word : argv) pointers.push_back(word.data());
    pointers.push_back(nullptr);
    ::execv(pointers[0], pointers.data());
    ::_exit(127);
  }
  ::close(commands[0]);
  ::close(replies[1]);
  to_browser_ = commands[1];
  from_browser_ = replies[0];

  const Json target = call("Target.createTarget", {{"url", "about:blank"}}, false);
  session_ = call("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, false)
                 .at("sessionId")
                 .get<std::string>();
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"}) {
    call(domain, Json::object());
  }
  call("Emulation.setDeviceMetricsOverride",
       {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

HeadlessChromium::~HeadlessChromium() {
  try {
    send({{"id", next_id_++}, {"method", "Browser.close"}, {"params", Json::object()}});
  } catch (const std::exception&) {
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::close(to_browser_);
  ::close(from_browser_);
  std::error_code ignored;
  std::filesystem::remove_all(profile_, ignored);
}

void HeadlessChromium::send(const Json& message) {
  const std::string text = message.dump() + '\0';
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(to_browser_, text.data() + written, text.size() - written);
    if (n <= 0) throw std::runtime_error("chromium closed its command pipe");
    written += static_cast<std::size_t>(n);
  }
}

template <typename Done>
bool HeadlessChromium::pump(std::chrono::steady_clock::time_point deadline, Done done) {
  for (;;) {
    std::size_t end;
    while ((end = buffer_.find('\0')) != std::string::npos) {
      const Json message = Json::parse(buffer_.substr(0, end));
      buffer_.erase(0, end + 1);
      if (message.contains("method")) note_event(message);
      if (done(message)) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd readable{from_browser_, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::read(from_browser_, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("chromium closed its reply pipe (did it start?)");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

Json HeadlessChromium::call(const std::string& method, const Json& params, bool in_page) {
  const int id = next_id_++;
  Json message = {{"id", id}, {"method", method}, {"params", params}};
  if (in_page) message["sessionId"] = session_;
  send(message);
  Json reply;
  const bool answered = pump(std::chrono::steady_clock::now() + kTimeout, [&](const Json& m) {
    if (!m.contains("id") || m.at("id") != id) return false;
    reply = m;
    return true;
  });
  if (!answered) throw std::runtime_error("chromium did not answer " + method);
  if (reply.contains("error")) throw std::runtime_error(method + ": " + reply.at("error").dump());
  return reply.value("result", Json::object());
}

void HeadlessChromium::note_event(const Json& message) {
  if (message.value("sessionId", "") != session_) return;
  const std::string method = message.at("method");
  const Json& params = message.at("params");
  if (method == "Page.loadEventFired") {
    loaded_ = true;
  } else if (method == "Network.requestWillBeSent") {
    events_.requests.push_back(params.at("request").at("url"));
  } else if (method == "Runtime.consoleAPICalled") {
    const std::string type = params.at("type");
    if (type == "error" || type == "assert") events_.console_errors.push_back("console." + type + ": " + params.at("args").dump());
  } else if (method == "Runtime.exceptionThrown") {
    events_.console_errors.push_back("exception: " + params.at("exceptionDetails").dump());
  } else if (method == "Log.entryAdded" && params.at("entry").value("level", "") == "error") {
    events_.console_errors.push_back("log: " + params.at("entry").dump());
  }
}

std::chrono::duration<double> HeadlessChromium::open(const std::string& url) {
  const auto start = std::chrono::steady_clock::now();
  events_ = {};
  loaded_ = false;
  const Json navigation = call("Page.navigate", {{"url", url}});
  if (navigation.contains("errorText")) throw std::runtime_error("cannot open " + url + ": " + navigation.dump());
  if (!loaded_ && !pump(start + kTimeout, [&](const Json&) { return loaded_; })) throw std::runtime_error(url + " did not load");
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  pump(std::chrono::steady_clock::now() + kSettle, [](const Json&) { return false; });
  return took;
}

Json HeadlessChromium::evaluate(const std::string& expression) {
  const Json result = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails")) throw std::runtime_error("evaluate " + expression + ": " + result.dump());
  return result.at("result").value("value", Json());
}

std::vector<unsigned char> HeadlessChromium::screenshot() {
  return base64_decode(call("Page.captureScreenshot", {{"format", "png"}}).at("data").get<std::string>());
}

const PageEvents& HeadlessChromium::events() {
  pump(std::chrono::steady_clock::now(), [](const Json&) { return false; });
  return events_;
}

bool is_blank_png(const std::vector<unsigned char>& png) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) throw std::runtime_error("not a PNG");
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) throw std::runtime_error("bad PNG");
  std::unordered_map<unsigned, std::size_t> counts;
  for (std::size_t i = 0; i + 2 < pixels.size(); i += 3) {
    ++counts[(unsigned{pixels[i]} << 16) | (unsigned{pixels[i + 1]} << 8) | pixels[i + 2]];
  }
  std::size_t most = 0;
  for (const auto& [colour, count] : counts) most = std::max(most, count);
  const std::size_t total = pixels.size() / 3;
  return (total - most) * 100 < total;
}

}  // namespace hpo::report_test
