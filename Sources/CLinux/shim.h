// The Linux calls Swift's Glibc module does not bring in, for `DirectLane`.
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
