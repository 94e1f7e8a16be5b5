#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's memory statistics:
   with them on (the default), every allocation SQLite makes takes a process-wide mutex to count
   it, about ten times per stored event. Must run before SQLite initializes (the first open);
   later it is refused with SQLITE_MISUSE and changes nothing. */
static inline int tracker_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

