#pragma once

#include <stdexcept>

namespace hpo::cli {

// Thrown where a Ctrl-C (SIGINT) is noticed; the program exits with code 130. Not an
// hpo::Error, so that nothing treats it as a failed input.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// From now on the first SIGINT only sets a flag (a second one ends the program at once).
void catch_interrupts();
bool interrupt_requested();
// Throws Interrupted when a SIGINT has arrived.
void throw_if_interrupted();

}  // namespace hpo::cli
