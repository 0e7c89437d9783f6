#include "records.hpp"

#include <algorithm>

namespace hpo::cli {

namespace {

std::vector<std::string> column_names(const std::vector<Record>& records) {
  std::vector<std::string> columns;
  for (const Record& record : records) {
    for (const auto& [name, value] : record) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
    }
  }
  return columns;
}

const Json* find_cell(const Record& record, const std::string& column) {
  for (const auto& [name, value] : record) {
    if (name == column) return &value;
  }
  return nullptr;
}

std::string cell_text(const Json* cell) {
  if (cell == nullptr || cell->is_null()) return "";
  if (cell->is_string()) return cell->get<std::string>();
  return dump_json(*cell);
}

std::string record_as_json(const Record& record) {
  std::string text = "{";
  for (const auto& [name, value] : record) {
    if (text.size() > 1) text += ", ";
    text += dump_json(Json(name)) + ": " + dump_json(value);
  }
  return text + "}";
}

void print_table(const std::vector<Record>& records, std::ostream& out) {
  if (records.empty()) return;
  const std::vector<std::string> columns = column_names(records);
  std::vector<std::size_t> widths;
  for (const std::string& column : columns) widths.push_back(column.size());
  std::vector<std::vector<std::string>> texts;
  for (const Record& record : records) {
    texts.emplace_back();
    for (std::size_t c = 0; c < columns.size(); ++c) {
      texts.back().push_back(cell_text(find_cell(record, columns[c])));
      widths[c] = std::max(widths[c], texts.back().back().size());
    }
  }
  const auto rule = [&] {
    out << '+';
    for (std::size_t width : widths) out << std::string(width + 2, '-') << '+';
    out << '\n';
  };
  const auto line = [&](const std::vector<std::string>& cells, const Record* record) {
    out << '|';
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const Json* cell = record != nullptr ? find_cell(*record, columns[c]) : nullptr;
      const std::string padding(widths[c] - cells[c].size(), ' ');
      const bool right_aligned = cell != nullptr && cell->is_number();
      out << ' ' << (right_aligned ? padding + cells[c] : cells[c] + padding) << " |";
    }
    out << '\n';
  };
  rule();
  line(columns, nullptr);
  rule();
  for (std::size_t r = 0; r < records.size(); ++r) line(texts[r], &records[r]);
  rule();
}

std::string csv_cell(const Json* cell) {
  const std::string text = cell_text(cell);
  const bool needs_quotes = text.find_first_of(",\"\r\n") != std::string::npos ||
                            (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs_quotes) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void print_records(const std::vector<Record>& records, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::Table) {
    print_table(records, out);
    return;
  }
  out << '[';
  for (std::size_t r = 0; r < records.size(); ++r) out << (r > 0 ? ", " : "") << record_as_json(records[r]);
  out << "]\n";
}

void print_record(const Record& record, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::Table) {
    print_table({record}, out);
  } else {
    out << record_as_json(record) << '\n';
  }
}

Record flatten_record(const Record& record) {
  Record flat;
  for (const auto& [name, value] : record) {
    if (value.is_object()) {
      for (const auto& [key, item] : value.items()) flat.emplace_back(name + "_" + key, item);
    } else if (value.is_array()) {
      for (std::size_t i = 0; i < value.size(); ++i) flat.emplace_back(name + "_" + std::to_string(i), value[i]);
    } else {
      flat.emplace_back(name, value);
    }
  }
  return flat;
}

void write_csv(const std::vector<Record>& records, std::ostream& out) {
  const std::vector<std::string> columns = column_names(records);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const Json name = columns[c];
    out << (c > 0 ? "," : "") << csv_cell(&name);
  }
  out << '\n';
  for (const Record& record : records) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      out << (c > 0 ? "," : "") << csv_cell(find_cell(record, columns[c]));
    }
    out << '\n';
  }
}

}  // namespace hpo::cli
