#pragma once

// Fault injection for crash tests: a SQLite VFS, installed as the process's default, that
// passes everything to the real one and kills the process with SIGKILL during its
// `kill_at`-th file write, after writing only the first half of that write's bytes.
// This puts the crash exactly inside SQLite's write path (a WAL frame, a commit record,
// a checkpoint into the main file...), which a timer-driven kill rarely hits on purpose.

namespace hpo::reliability {

// Must run before the process opens any database. kill_at >= 1.
void install_kill_at_write_vfs(long kill_at);

}  // namespace hpo::reliability
