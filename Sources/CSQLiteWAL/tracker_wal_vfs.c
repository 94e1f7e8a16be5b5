/* A VFS shim that coalesces SQLite's write-ahead-log writes.
 *
 * SQLite writes each log frame with two calls (its 24-byte header, then the page): a commit of
 * twenty pages was forty-odd pwrite calls, each paying the system call and the file system's
 * per-call work. Here the writes to a log file are appended to a buffer while they are
 * sequential, and the buffer is written with one call as soon as it holds a commit frame (the
 * frame whose header carries the database size, always the last of a commit), so a commit's
 * frames reach the file before SQLite publishes them in the shared-memory index and before
 * sqlite3_step returns, and an error (a full disk) is returned to SQLite from that write.
 * Frames written outside a commit (a transaction spilling its cache) are also flushed before
 * anything reads, syncs, truncates or sizes the file, or a write that does not follow on.
 * Every other file, and every other method, goes to the default VFS unchanged.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "tracker_wal_vfs.h"

#define BUFFER_LIMIT (4 << 20)

typedef struct WalFile {
    sqlite3_file base;
    sqlite3_file *real;            /* the default VFS's file, in the memory after this struct */
    int isLog;
    unsigned char *buffer;
    sqlite3_int64 start;           /* file offset of buffer[0] */
    int length;
    int capacity;
    int commitHeader;              /* the last write was a commit frame's header */
} WalFile;

static sqlite3_vfs *realVFS;
static sqlite3_vfs walVFS;

/* The unix VFS writes at most 128 KiB - 1 per call (it masks the length with 0x1ffff, so a
   multiple of 128 KiB would write nothing and fail as a full disk): larger buffers go in parts. */
#define WRITE_LIMIT (124 * 1024)

static int flush(WalFile *f) {
    int rc = SQLITE_OK;
    for (int done = 0; done < f->length && rc == SQLITE_OK; done += WRITE_LIMIT) {
        int part = f->length - done < WRITE_LIMIT ? f->length - done : WRITE_LIMIT;
        rc = f->real->pMethods->xWrite(f->real, f->buffer + done, part, f->start + done);
    }
    f->length = 0;
    return rc;
}

static int walClose(sqlite3_file *file) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    int closed = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    free(f->buffer);
    f->buffer = 0;
    return rc != SQLITE_OK ? rc : closed;
}

static int walRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int walWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    WalFile *f = (WalFile *)file;
    if (!f->isLog) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    int rc;
    if (f->length > 0 && (offset != f->start + f->length || f->length + amount > BUFFER_LIMIT)) {
        if ((rc = flush(f)) != SQLITE_OK) return rc;
    }
    if (amount > BUFFER_LIMIT) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    if (f->length + amount > f->capacity) {
        int capacity = f->capacity ? f->capacity : 128 * 1024;
        while (capacity < f->length + amount) capacity *= 2;
        unsigned char *grown = realloc(f->buffer, capacity);
        if (!grown) {
            if ((rc = flush(f)) != SQLITE_OK) return rc;
            return f->real->pMethods->xWrite(f->real, data, amount, offset);
        }
        f->buffer = grown;
        f->capacity = capacity;
    }
    if (f->length == 0) f->start = offset;
    memcpy(f->buffer + f->length, data, amount);
    f->length += amount;
    /* A frame header is the only 24-byte write to a log; bytes 4-7 are the database size in
       pages after a commit, zero in every other frame. The page that follows completes it. */
    if (f->commitHeader) {
        f->commitHeader = 0;
        return flush(f);
    }
    const unsigned char *bytes = data;
    if (amount == 24 && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0) f->commitHeader = 1;
    return SQLITE_OK;
}

static int walTruncate(sqlite3_file *file, sqlite3_int64 size) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int walSync(sqlite3_file *file, int flags) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int walFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

#define REAL(f) (((WalFile *)(f))->real)
static int walLock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int walUnlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int walCheckReservedLock(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int walFileControl(sqlite3_file *f, int op, void *arg) {
    int rc = flush((WalFile *)f);
    if (rc != SQLITE_OK) return rc;
    rc = REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
    /* A shim names itself before the VFS it wraps (SQLite's convention): "tracker-wal/unix". */
    if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK) {
        char *inner = *(char **)arg;
        *(char **)arg = sqlite3_mprintf("%s/%s", TRACKER_WAL_VFS_NAME, inner ? inner : "");
        sqlite3_free(inner);
    }
    return rc;
}
static int walSectorSize(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int walDeviceCharacteristics(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int walShmMap(sqlite3_file *f, int page, int size, int extend, void volatile **out) {
    return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}
static int walShmLock(sqlite3_file *f, int offset, int n, int flags) { return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags); }
static void walShmBarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int walShmUnmap(sqlite3_file *f, int deleteFlag) { return REAL(f)->pMethods->xShmUnmap(REAL(f), deleteFlag); }
static int walFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out) {
    int rc = flush((WalFile *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFetch(REAL(f), offset, amount, out);
}
static int walUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *p) { return REAL(f)->pMethods->xUnfetch(REAL(f), offset, p); }

static const sqlite3_io_methods walMethods = {
    3, walClose, walRead, walWrite, walTruncate, walSync, walFileSize, walLock, walUnlock,
    walCheckReservedLock, walFileControl, walSectorSize, walDeviceCharacteristics,
    walShmMap, walShmLock, walShmBarrier, walShmUnmap, walFetch, walUnfetch,
};

static int walOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    WalFile *f = (WalFile *)file;
    memset(f, 0, sizeof(WalFile));
    f->real = (sqlite3_file *)(f + 1);
    int rc = realVFS->xOpen(realVFS, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK || !f->real->pMethods) {
        f->base.pMethods = 0;
        return rc;
    }
    /* The methods used are version 3's; the real file's may be older only on platforms without
       shared memory, where a log is not possible anyway. */
    if (f->real->pMethods->iVersion < 3) {
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = 0;
        return SQLITE_CANTOPEN;
    }
    f->isLog = (flags & SQLITE_OPEN_WAL) != 0;
    f->base.pMethods = &walMethods;
    return SQLITE_OK;
}

static int walDelete(sqlite3_vfs *v, const char *name, int syncDir) { return realVFS->xDelete(realVFS, name, syncDir); }
static int walAccess(sqlite3_vfs *v, const char *name, int flags, int *out) { return realVFS->xAccess(realVFS, name, flags, out); }
static int walFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) { return realVFS->xFullPathname(realVFS, name, n, out); }
static void *walDlOpen(sqlite3_vfs *v, const char *name) { return realVFS->xDlOpen(realVFS, name); }
static void walDlError(sqlite3_vfs *v, int n, char *out) { realVFS->xDlError(realVFS, n, out); }
static void (*walDlSym(sqlite3_vfs *v, void *h, const char *name))(void) { return realVFS->xDlSym(realVFS, h, name); }
static void walDlClose(sqlite3_vfs *v, void *h) { realVFS->xDlClose(realVFS, h); }
static int walRandomness(sqlite3_vfs *v, int n, char *out) { return realVFS->xRandomness(realVFS, n, out); }
static int walSleep(sqlite3_vfs *v, int micros) { return realVFS->xSleep(realVFS, micros); }
static int walCurrentTime(sqlite3_vfs *v, double *out) { return realVFS->xCurrentTime(realVFS, out); }
static int walGetLastError(sqlite3_vfs *v, int n, char *out) { return realVFS->xGetLastError(realVFS, n, out); }
static int walCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) { return realVFS->xCurrentTimeInt64(realVFS, out); }

static int registered = -1;

int tracker_wal_vfs_register(void) {
    /* Swift calls this from a once-initialized static, so there is no race to guard here. */
    if (registered != -1) return registered;
    realVFS = sqlite3_vfs_find(0);
    if (!realVFS || realVFS->iVersion < 2) return registered = SQLITE_ERROR;
    walVFS = (sqlite3_vfs){
        2, (int)sizeof(WalFile) + realVFS->szOsFile, realVFS->mxPathname, 0, TRACKER_WAL_VFS_NAME, 0,
        walOpen, walDelete, walAccess, walFullPathname, walDlOpen, walDlError, walDlSym, walDlClose,
        walRandomness, walSleep, walCurrentTime, walGetLastError, walCurrentTimeInt64,
    };
    return registered = sqlite3_vfs_register(&walVFS, 0);
}
