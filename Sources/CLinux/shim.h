// The Linux calls Swift's Glibc module does not bring in: epoll and eventfd for `DirectLane`,
// getrandom for `SystemRandomSource`.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

// accept4 is declared only with _GNU_SOURCE, which the Glibc module is built without.
static inline int clinux_accept4(int fd, void *address, unsigned int *length, int flags) {
    return (int)syscall(SYS_accept4, fd, address, length, flags);
}

#include <sys/prctl.h>

// The calling thread's name (15 bytes at most), as `top -H` and `perf` show it.
static inline void clinux_name_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

// The calling thread's name into `name`, which holds 16 bytes.
static inline int clinux_thread_name(char *name) {
    return prctl(PR_GET_NAME, (unsigned long)name, 0, 0, 0);
}

#include <linux/stat.h>
#include <fcntl.h>

// The inode of a path, and nothing else: a full stat() also asks for the file's times, and on a
// file system with fine-grained timestamps (ext4 since Linux 6.13) asking for them makes the next
// write give the file a new modification time, which dirties its inode. The write-ahead log is
// checked before each fdatasync, which then also wrote the inode, synchronously.
static inline int clinux_inode_of(const char *path, unsigned long long *inode) {
    struct statx status;
    if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_INO, &status) != 0) return -1;
    *inode = status.stx_ino;
    return 0;
}
