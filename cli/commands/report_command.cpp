// report: one self-contained HTML page with the plots of a study.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "command.hpp"
#include "hpo/error.hpp"
#include "report/html.hpp"
#include "report/report_page.hpp"
#include "study_access.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

// Written next to the target and renamed over it, so that a failure leaves no half page.
void write_file(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream file(partial, std::ios::binary);
    if (!(file << text) || !file.flush()) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      throw ValueError("cannot write the report file '" + path.string() + "'");
    }
  }
  std::filesystem::rename(partial, path);
}

int report_command(const Invocation& call) {
  const auto start = std::chrono::steady_clock::now();
  const Study study = load_cli_study(call.global);
  const StudyView view = read_study_view(study);
  const std::string html = render_report(view, ReportOptions(), PageFrame{"hpo report · " + call.global.storage_url, {}, {}});
  const std::string output = call.options["output"].as<std::string>();
  if (output == "-") {
    call.console.out() << html;
    return 0;
  }
  write_file(output, html);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  call.console.info("Wrote the report of study '" + view.name + "' (" + format_count(view.trials.size()) +
                    " trials) to " + output + " in " + format_number(seconds) + " s.");
  return 0;
}

}  // namespace

std::vector<Command> report_commands() {
  return {{"report", "write one self-contained HTML page with the plots of the study (opens offline)",
           [](po::options_description& options) {
             options.add_options()("output,o", po::value<std::string>()->default_value("report.html")->value_name("FILE"),
                                   "the HTML file to write ('-': stdout)");
           },
           report_command}};
}

}  // namespace hpo::cli
