#pragma once

// Runs the built `hpo` program in a scratch folder and captures what it prints.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hpo/json.hpp"

namespace hpo::cli_test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A fresh folder per test, removed afterwards; `hpo` runs inside it.
class HpoTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `hpo arguments...` to completion; `environment` adds NAME=value entries (the
  // caller's HPO_STORAGE is always removed).
  RunResult hpo(const std::vector<std::string>& arguments,
                const std::vector<std::string>& environment = {}) const;
  // Starts `hpo arguments...`; finish with wait(). Output goes to files in the folder.
  int start(const std::vector<std::string>& arguments,
            const std::vector<std::string>& environment = {}) const;
  // Runs any program (argv[0] is its path) the same way.
  RunResult run_program(const std::vector<std::string>& argv) const;
  RunResult wait(int pid) const;

  // The storage option for the database in the folder.
  std::vector<std::string> storage() const { return {"--storage", "sqlite:///" + db_path().string()}; }
  std::filesystem::path db_path() const { return folder_ / "study.db"; }
  const std::filesystem::path& folder() const { return folder_; }
  std::string read_text(const std::filesystem::path& path) const;
  void write_text(const std::filesystem::path& path, const std::string& text) const;

 private:
  int spawn(std::vector<std::string> argv, const std::vector<std::string>& environment) const;

  std::filesystem::path folder_;
};

// Joins argument lists: args({"trials"}, storage(), {"--study-name", "s"}).
std::vector<std::string> args(std::initializer_list<std::vector<std::string>> parts);

// Parses JSON output, failing the test with the text when it is not JSON.
Json parse_output(const std::string& text);

// The bundled data set and Debian's Fashion-MNIST folder.
std::filesystem::path digits_csv();
std::filesystem::path fashion_mnist_folder();

}  // namespace hpo::cli_test
