// dashboard: the reports of every study in the storage, served on 127.0.0.1 and kept up
// to date while trials arrive.
#include <iostream>

#include "command.hpp"
#include "interrupt.hpp"
#include "report/dashboard_server.hpp"
#include "study_access.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

int dashboard_command(const Invocation& call) {
  DashboardServer server(open_cli_storage(call.global, MissingDatabase::Refuse), call.global.storage_url);
  const int port = server.bind(call.options["port"].as<int>());
  const std::string root = "http://127.0.0.1:" + std::to_string(port);
  // The address on stdout (a script or test reads it, notably with --port 0).
  call.console.out() << root << "/" << std::endl;
  if (call.global.study_name) call.console.out() << root << study_page_path(*call.global.study_name) << std::endl;
  call.console.info("hpo dashboard: serving the studies of " + call.global.storage_url + " read-only; Ctrl-C stops.");
  catch_interrupts();
  server.serve(interrupt_requested);
  throw_if_interrupted();
  return 0;
}

}  // namespace

std::vector<Command> dashboard_commands() {
  return {{"dashboard", "serve the reports of every study on 127.0.0.1, updating while trials arrive (read-only)",
           [](po::options_description& options) {
             options.add_options()("port", po::value<int>()->default_value(8080)->value_name("PORT"),
                                   "the port to listen on (0: any free port, printed on stdout)");
           },
           dashboard_command}};
}

}  // namespace hpo::cli
