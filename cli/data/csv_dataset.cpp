#include "data/csv_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "data/file_contents.hpp"
#include "data/targets.hpp"
#include "hpo/error.hpp"

namespace hpo::cli {

namespace {

std::string_view trim_blanks(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// Reports problems as "<file> line <n>: <what>".
class CsvLocation {
 public:
  explicit CsvLocation(std::string file) : file_(std::move(file)) {}
  void set_line(std::size_t line_number) { line_number_ = line_number; }
  [[noreturn]] void fail(const std::string& what) const {
    throw ValueError("'" + file_ + "' line " + std::to_string(line_number_) + ": " + what);
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::size_t line_number_ = 0;
};

// The fields of one line; a field may be quoted ("a, b" or "say ""hi""").
std::vector<std::string> split_fields(std::string_view line, const CsvLocation& where) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  for (;;) {
    std::string field;
    std::size_t start = i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) where.fail("a quoted field has no closing quote");
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          field += line[i++];
        }
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') where.fail("text after a closing quote");
    } else {
      i = start;
      while (i < line.size() && line[i] != ',') ++i;
      field = std::string(trim_blanks(line.substr(start, i - start)));
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

// Calls visit(line_number, line) for each line that is not empty, without its '\r'.
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!trim_blanks(line).empty()) visit(line_number, line);
  }
}

std::size_t find_target_index(const std::vector<std::string>& header,
                              const std::optional<std::string>& target_column,
                              const CsvLocation& where) {
  if (!target_column) return header.size() - 1;
  const auto count = std::count(header.begin(), header.end(), *target_column);
  if (count == 1) {
    return static_cast<std::size_t>(
        std::find(header.begin(), header.end(), *target_column) - header.begin());
  }
  if (count > 1) where.fail("the target column '" + *target_column + "' appears more than once");
  std::string names;
  for (const std::string& name : header) names += (names.empty() ? "" : ", ") + name;
  where.fail("no column named '" + *target_column + "' (columns: " + names + ")");
}

}  // namespace

Dataset read_csv_dataset(const std::filesystem::path& path,
                         const std::optional<std::string>& target_column) {
  const std::string contents = read_file_contents(path);
  CsvLocation where(path.string());

  Dataset data;
  std::vector<std::string> header;
  std::size_t target_index = 0;
  std::vector<std::string> target_texts;
  for_each_line(contents, [&](std::size_t line_number, std::string_view line) {
    where.set_line(line_number);
    std::vector<std::string> fields = split_fields(line, where);
    if (header.empty()) {
      if (fields.size() < 2) where.fail("the header names fewer than two columns");
      header = std::move(fields);
      target_index = find_target_index(header, target_column, where);
      data.target_name = header[target_index];
      for (std::size_t c = 0; c < header.size(); ++c) {
        if (c != target_index) data.feature_names.push_back(header[c]);
      }
      return;
    }
    if (fields.size() != header.size()) {
      where.fail(std::to_string(fields.size()) + " fields, expected " +
                 std::to_string(header.size()) + " as in the header");
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (c == target_index) {
        if (fields[c].empty()) where.fail("column '" + header[c] + "': the target is empty");
        target_texts.push_back(std::move(fields[c]));
        continue;
      }
      const std::optional<double> value = parse_finite_number(fields[c]);
      const float feature = static_cast<float>(value.value_or(0.0));
      if (!value || !std::isfinite(feature)) {
        where.fail("column '" + header[c] + "': '" + fields[c] + "' is not a finite number");
      }
      data.features.push_back(feature);
    }
  });
  if (header.empty()) throw ValueError("'" + where.file() + "' is empty, expected a header line");
  if (target_texts.empty()) throw ValueError("'" + where.file() + "' has a header but no data lines");
  assign_targets(data, target_texts);
  return data;
}

}  // namespace hpo::cli
