#pragma once

#include <map>
#include <string>
#include <vector>

#include "hpo/storage.hpp"

namespace hpo::tpe {

// Each parameter's external values across a list of trials (null where a trial lacks the
// parameter), read in one pass over the trials' params instead of one search per trial
// and parameter. The pointers are into the trials, which must outlive the columns.
class ParamColumns {
 public:
  explicit ParamColumns(const std::vector<SharedTrial>& trials);

  // The column of `name`, one entry per trial; null when no trial has the parameter.
  const std::vector<const Json*>* find(const std::string& name) const;

 private:
  std::map<std::string, std::vector<const Json*>> columns_;
};

}  // namespace hpo::tpe
