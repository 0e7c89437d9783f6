#include "report/dashboard_server.hpp"

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <thread>

#include "hpo/error.hpp"
#include "hpo/study.hpp"
#include "report/html.hpp"
#include "report/report_page.hpp"

namespace hpo::cli {

namespace {

constexpr const char* kHost = "127.0.0.1";
constexpr const char* kHtml = "text/html; charset=utf-8";

std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

std::string studies_version(const std::vector<StudySummary>& studies) {
  long long trials = 0;
  for (const StudySummary& study : studies) trials += study.n_trials;
  return std::to_string(studies.size()) + "-" + std::to_string(trials);
}

}  // namespace

std::string study_page_path(const std::string& study_name) { return "/study?name=" + percent_encode(study_name); }

struct DashboardServer::Impl {
  std::shared_ptr<Storage> storage;
  std::string source;
  ReportOptions options;
  httplib::Server server;

  PageFrame frame(std::optional<LiveUpdate> live, bool with_up_link) const {
    return PageFrame{"hpo dashboard · " + source + " · read-only", std::move(live),
                     with_up_link ? std::optional<std::string>("/") : std::nullopt};
  }

  void page(httplib::Response& response, int status, const std::string& title, const std::string& message) const {
    response.status = status;
    response.set_content(html_document(title,
                                       "<header><h1>" + escape_html(title) + "</h1><nav><a href=\"/\">all studies</a>"
                                       "</nav></header><p class=\"summary\">" + escape_html(message) + "</p>",
                                       frame(std::nullopt, true)),
                         kHtml);
  }

  std::optional<Study> find_study(const httplib::Request& request, httplib::Response& response) const {
    if (!request.has_param("name")) {
      page(response, 400, "No study named", "Add ?name=STUDY to the address, or pick a study from the list.");
      return std::nullopt;
    }
    const std::string name = request.get_param_value("name");
    try {
      return load_study(storage, name);
    } catch (const NotFoundError&) {
      page(response, 404, "No such study", "There is no study named '" + name + "' in " + source + ".");
      return std::nullopt;
    }
  }

  void index(httplib::Response& response) const {
    const std::vector<StudySummary> studies = get_all_study_summaries(*storage);
    std::string content = "<header><h1>Studies</h1><nav>" + escape_html(source) + "</nav></header>";
    if (studies.empty()) {
      content += "<p class=\"summary\">This storage holds no study yet; this list updates itself when one appears.</p>";
    } else {
      content += "<section><table id=\"studies\"><tr><th>study</th><th>directions</th><th>trials</th>"
                 "<th>best value</th></tr>";
      for (const StudySummary& study : studies) {
        std::string directions;
        for (StudyDirection d : study.directions) directions += (directions.empty() ? "" : ", ") + to_string(d);
        content += "<tr><td><a href=\"" + escape_html(study_page_path(study.study_name)) + "\">" +
                   escape_html(study.study_name) + "</a></td><td>" + escape_html(directions) +
                   "</td><td class=\"num\">" + format_count(static_cast<std::size_t>(study.n_trials)) +
                   "</td><td class=\"num\">" +
                   (study.best_trial ? escape_html(format_number(study.best_trial->values.at(0))) : "") + "</td></tr>";
      }
      content += "</table></section>";
    }
    response.set_content(html_document("hpo dashboard", content, frame(LiveUpdate{"/version", studies_version(studies)}, false)),
                         kHtml);
  }

  void report(const httplib::Request& request, httplib::Response& response) const {
    const std::optional<Study> study = find_study(request, response);
    if (!study) return;
    const StudyView view = read_study_view(*study);
    const LiveUpdate live{"/study/version?name=" + percent_encode(view.name), study_version(view.trials)};
    response.set_content(render_report(view, options, frame(live, true)), kHtml);
  }

  void study_version_text(const httplib::Request& request, httplib::Response& response) const {
    if (const std::optional<Study> study = find_study(request, response)) {
      response.set_content(study_version(study->trials()), "text/plain");
    }
  }

  // A failure inside one request (a busy database, say) answers that request with the
  // reason and leaves the server running.
  template <typename Handler>
  httplib::Server::Handler guarded(Handler handler) {
    return [this, handler](const httplib::Request& request, httplib::Response& response) {
      try {
        handler(request, response);
      } catch (const std::exception& error) {
        page(response, 500, "Cannot read the storage", error.what());
      }
    };
  }
};

DashboardServer::DashboardServer(std::shared_ptr<Storage> storage, std::string source, ReportOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->storage = std::move(storage);
  impl_->source = std::move(source);
  impl_->options = options;
  Impl& impl = *impl_;
  impl.server.Get("/", impl.guarded([&impl](const httplib::Request&, httplib::Response& r) { impl.index(r); }));
  impl.server.Get("/version", impl.guarded([&impl](const httplib::Request&, httplib::Response& r) {
    r.set_content(studies_version(get_all_study_summaries(*impl.storage)), "text/plain");
  }));
  impl.server.Get("/study", impl.guarded([&impl](const httplib::Request& q, httplib::Response& r) { impl.report(q, r); }));
  impl.server.Get("/study/version",
                  impl.guarded([&impl](const httplib::Request& q, httplib::Response& r) { impl.study_version_text(q, r); }));
  // Browsers ask for it; an empty answer keeps their consoles free of 404 errors.
  impl.server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& r) { r.status = 204; });
}

DashboardServer::~DashboardServer() = default;

int DashboardServer::bind(int port) {
  if (port < 0 || port > 65535) throw ValueError("port " + std::to_string(port) + " is outside 0..65535");
  const int bound = port == 0 ? impl_->server.bind_to_any_port(kHost) : (impl_->server.bind_to_port(kHost, port) ? port : -1);
  if (bound < 0) {
    throw ValueError("cannot listen on " + std::string(kHost) + ":" + std::to_string(port) +
                     " (is it taken? choose another with --port)");
  }
  return bound;
}

void DashboardServer::serve(const std::function<bool()>& stop_requested) {
  std::atomic<bool> listening{true};
  std::thread listener([this, &listening] {
    impl_->server.listen_after_bind();
    listening = false;
  });
  while (listening && !stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  impl_->server.stop();
  listener.join();
}

}  // namespace hpo::cli
