#include "hpo_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace hpo::cli_test {

void HpoTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  folder_ = std::filesystem::temp_directory_path() /
            ("hpo-cli-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" +
             std::to_string(::getpid()));
  std::filesystem::remove_all(folder_);
  std::filesystem::create_directories(folder_);
}

void HpoTest::TearDown() {
  if (!HasFailure()) std::filesystem::remove_all(folder_);
}

int HpoTest::spawn(std::vector<std::string> argv, const std::vector<std::string>& environment) const {
  const std::string out_path = (folder_ / "stdout.txt").string();
  const std::string err_path = (folder_ / "stderr.txt").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(folder_.c_str()) != 0) ::_exit(127);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("HPO_STORAGE");
    for (const std::string& entry : environment) ::putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> pointers;
    for (std::string& word : argv) pointers.push_back(word.data());
    pointers.push_back(nullptr);
    ::execv(pointers[0], pointers.data());
    ::_exit(127);
  }
  return pid;
}

int HpoTest::start(const std::vector<std::string>& arguments,
                   const std::vector<std::string>& environment) const {
  std::vector<std::string> argv = {HPO_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return spawn(argv, environment);
}

RunResult HpoTest::run_program(const std::vector<std::string>& argv) const {
  return wait(spawn(argv, {}));
}

RunResult HpoTest::wait(int pid) const {
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(folder_ / "stdout.txt");
  result.err = read_text(folder_ / "stderr.txt");
  return result;
}

RunResult HpoTest::hpo(const std::vector<std::string>& arguments,
                       const std::vector<std::string>& environment) const {
  return wait(start(arguments, environment));
}

std::string HpoTest::read_text(const std::filesystem::path& path) const {
  std::ifstream file(path.is_absolute() ? path : folder_ / path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void HpoTest::write_text(const std::filesystem::path& path, const std::string& text) const {
  std::ofstream(path.is_absolute() ? path : folder_ / path, std::ios::binary) << text;
}

std::vector<std::string> args(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> joined;
  for (const auto& part : parts) joined.insert(joined.end(), part.begin(), part.end());
  return joined;
}

Json parse_output(const std::string& text) {
  try {
    return parse_json(text);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "not JSON (" << error.what() << "):\n" << text;
    return Json();
  }
}

std::filesystem::path digits_csv() { return HPO_SOURCE_DIR "/examples/data/digits.csv.gz"; }
std::filesystem::path fashion_mnist_folder() { return "/usr/share/datasets/fashion-mnist"; }

}  // namespace hpo::cli_test
