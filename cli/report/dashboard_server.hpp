#pragma once

#include <functional>
#include <memory>
#include <string>

#include "hpo/storage.hpp"
#include "report/report_context.hpp"

namespace hpo::cli {

// Serves the report of every study in a storage, read-only, on 127.0.0.1:
//   /                        the studies, with links
//   /study?name=NAME         the report page, which updates itself while trials arrive
//   /version, /study/version?name=NAME   what the pages poll to notice changes
// Only GET requests exist, and none writes to the storage.
class DashboardServer {
 public:
  // `source` names the storage on the pages.
  DashboardServer(std::shared_ptr<Storage> storage, std::string source, ReportOptions options = {});
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  // Binds 127.0.0.1:`port` (0: a free port) and returns the port; throws hpo::ValueError
  // when it cannot (the port is taken, say).
  int bind(int port);
  // Serves until `stop_requested` returns true (asked every 100 ms).
  void serve(const std::function<bool()>& stop_requested);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The dashboard's address of a study's page, relative to its root.
std::string study_page_path(const std::string& study_name);

}  // namespace hpo::cli
