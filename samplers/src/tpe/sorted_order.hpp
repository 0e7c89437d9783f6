#pragma once

#include <cstddef>
#include <vector>

namespace hpo::tpe {

// The indices of `keys` in ascending order of key, equal keys (−0.0 and 0.0 included) in
// index order: what std::sort of (key, index) pairs gives. Keys must not be NaN. A bucket
// sort, linear in the number of keys unless they cluster.
std::vector<std::size_t> sorted_order(const std::vector<double>& keys);

}  // namespace hpo::tpe
