#ifndef TRACKER_WAL_VFS_H
#define TRACKER_WAL_VFS_H

/* Registers (once; later calls return the first result) the VFS "tracker-wal": the platform's
   default VFS, except that a write-ahead log's frames are gathered in memory and written with
   one call per commit instead of two calls per frame. Returns SQLITE_OK or an SQLite error. */
int tracker_wal_vfs_register(void);

/* The name to pass to sqlite3_open_v2. */
#define TRACKER_WAL_VFS_NAME "tracker-wal"

#endif
