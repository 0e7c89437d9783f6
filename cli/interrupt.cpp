#include "interrupt.hpp"

#include <csignal>

namespace hpo::cli {

namespace {

volatile std::sig_atomic_t interrupted = 0;

void note_interrupt(int) {
  interrupted = 1;
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

void catch_interrupts() { std::signal(SIGINT, note_interrupt); }

bool interrupt_requested() { return interrupted != 0; }

void throw_if_interrupted() {
  if (interrupt_requested()) throw Interrupted();
}

}  // namespace hpo::cli
