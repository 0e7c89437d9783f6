#pragma once

#include <string>
#include <string_view>

namespace hpo::cli {

// Text made safe inside HTML or SVG element content and attribute values.
std::string escape_html(std::string_view text);
// A value for people: 4 significant digits ("0.2505", "1.2e-05"); "NaN", "inf" as such.
std::string format_number(double value);
// A coordinate inside an SVG: one decimal, enough at screen resolution and short.
std::string format_coord(double value);
// "12,345": counts in sentences.
std::string format_count(std::size_t count);

}  // namespace hpo::cli
