#include "kill_at_write_vfs.hpp"

#include <csignal>
#include <stdexcept>

#include <sqlite3.h>

namespace hpo::reliability {
namespace {

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;
long g_writes_left = 0;

// Our file object: the real VFS's file object lives right behind it.
struct File {
  sqlite3_file base;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real(); }

int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  if (--g_writes_left == 0) {
    real(f)->pMethods->xWrite(real(f), data, amount / 2, offset);  // a torn write
    std::raise(SIGKILL);
  }
  return real(f)->pMethods->xWrite(real(f), data, amount, offset);
}

// Every other method forwards to the real file.
int x_close(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int x_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  return real(f)->pMethods->xRead(real(f), data, amount, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) { return real(f)->pMethods->xShmUnmap(real(f), delete_flag); }
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real(f)->pMethods->xFetch(real(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real(f)->pMethods->xUnfetch(real(f), offset, page);
}

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = reinterpret_cast<File*>(f);
  file->base.pMethods = nullptr;
  const int rc = g_real->xOpen(g_real, name, file->real(), flags, out_flags);
  // The unix VFS's files are version 3 (WAL shared memory, memory-mapped I/O).
  if (file->real()->pMethods) file->base.pMethods = &g_methods;
  return rc;
}

}  // namespace

void install_kill_at_write_vfs(long kill_at) {
  if (kill_at < 1) throw std::invalid_argument("kill_at must be >= 1");
  g_writes_left = kill_at;
  g_real = sqlite3_vfs_find(nullptr);
  g_methods = {3,          x_close,     x_read,         x_write,      x_truncate,     x_sync,
               x_file_size, x_lock,     x_unlock,       x_check_reserved_lock, x_file_control,
               x_sector_size, x_device_characteristics, x_shm_map, x_shm_lock, x_shm_barrier,
               x_shm_unmap, x_fetch,    x_unfetch};
  g_vfs = *g_real;
  g_vfs.zName = "hpo-kill-at-write";
  g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
  g_vfs.xOpen = x_open;
  sqlite3_vfs_register(&g_vfs, /*makeDflt=*/1);
}

}  // namespace hpo::reliability
