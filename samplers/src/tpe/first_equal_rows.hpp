#pragma once

#include <cstddef>
#include <vector>

namespace hpo::tpe {

// For each row k of `rows` (n rows of `width` doubles, row-major, no NaN), the index of the
// first row equal to it (k itself when none before it is); −0.0 equals 0.0. Linear in
// the number of rows: an open-addressing hash table of the rows' bits.
std::vector<std::size_t> first_equal_rows(std::vector<double> rows, std::size_t width);

}  // namespace hpo::tpe
