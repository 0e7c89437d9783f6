#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "global_options.hpp"
#include "hpo/json.hpp"

namespace hpo::cli {

// Named values in display order: one row of a command's output.
using Record = std::vector<std::pair<std::string, Json>>;

// As a JSON array of objects, or (when there are any) as a table whose columns are the names in order of first
// appearance (numbers right-aligned, objects and arrays as JSON, null as an empty cell).
void print_records(const std::vector<Record>& records, OutputFormat format, std::ostream& out);
// As one JSON object, or as a table of one row.
void print_record(const Record& record, OutputFormat format, std::ostream& out);

// Nested objects and arrays become columns of their own: {"params": {"x": 1}} gives
// "params_x", {"values": [1, 2]} gives "values_0" and "values_1".
Record flatten_record(const Record& record);
// A header line and one line per record, cells quoted as RFC 4180 asks.
void write_csv(const std::vector<Record>& records, std::ostream& out);

}  // namespace hpo::cli
